# A Glow provider is imported by its id. Key values stay unknown to
# Terraform: keys made by Terraform carry their value_wo_version in their
# name; other keys are rotated on the next apply.
terraform import switchboard_glow_provider.openai 5117e455-0c4f-4942-8a06-35412c7aeb3b
