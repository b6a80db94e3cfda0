# The equivalent of goldenpath's conditional file name for dependabot.yml:
# cookiecutter has no such thing, so the file is removed after generation.
import os

if "{{ cookiecutter.dependabot }}" != "yes":
    os.remove(os.path.join(".github", "dependabot.yml"))
