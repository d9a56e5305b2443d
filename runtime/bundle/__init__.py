"""The bundle contract: file and graph names, the manifest and its one validator, limits, the
length rule, placeholders, the model card, and models installed by name. Training, export, the
runtime and the hosts (through hosts/js/tools/generate_spec.py) all take it from here."""
