"""One router per resource; each handler makes one service call."""
