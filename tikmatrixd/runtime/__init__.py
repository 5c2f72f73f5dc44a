"""Running tasks on devices: device manager, dispatcher, per-device workers."""
