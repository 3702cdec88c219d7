glow {
  token = "glow-token-in-file"
}
gateflow {
  admin_key = "gw_admin_in_file"
}
