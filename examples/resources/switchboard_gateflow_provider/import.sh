# A Gateflow provider is imported by its provider id. credentials_wo_version
# is unknown after an import; setting it in the configuration sends the
# credentials on the next apply.
terraform import switchboard_gateflow_provider.openai openai
