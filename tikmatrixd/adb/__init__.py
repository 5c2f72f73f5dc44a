"""Reaching phones through adb servers: host services natively, device calls via adbutils."""
