"""The youth-facing web chat page served by the gateway at `/`."""
