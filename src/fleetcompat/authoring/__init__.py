"""Writing specs from evidence: propose a spec from good and bad hosts (`spec from-hosts`) and check a spec
against a fleet (`spec lint --fleet`). Pure apart from `hosts` (which reads the inputs)."""
