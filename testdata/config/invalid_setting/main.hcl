gateflow_provider "openai" {
  settings = {
    default_model = "gpt-5.2"
    models        = ["a", "b"]
  }
}
