glow {}
glow {}
