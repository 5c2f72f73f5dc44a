"""Reaching phones through adb servers: the adb server protocol spoken on asyncio."""
