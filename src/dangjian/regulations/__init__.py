"""Party regulations as pure-Python rules and validators; import the submodules directly."""
