# A Glow provider is imported by its id, or by its name when no other
# provider visible to the token has it. Keys whose Glow name records their
# origin (vault:… or terraform:vN) import as they are; keys made by hand are
# replaced on the next apply.
terraform import switchboard_glow_provider.openai 5117e455-0c4f-4942-8a06-35412c7aeb3b
terraform import switchboard_glow_provider.openai "OpenAI Production"
