glow {
  url = "ftp://glow.example.com"
}
gateflow {
  url = "gateflow.example.com"
}
vault {
  address = "http://"
}
glow_provider "a" {
  name      = "A"
  endpoints = ["https://api.openai.com/v1", "/relative", "mailto:x@example.com"]
}
