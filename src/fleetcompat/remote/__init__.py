"""Direct mode: gather hosts over SSH with paramiko, running the same stdlib gatherer as the Ansible module."""
