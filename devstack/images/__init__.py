"""Container images built on this machine from Debian packages, PyPI and the project's
own Dockerfile, carrying the references the charts use, so the charts install them
unchanged. No registry is involved: nothing is pulled or pushed. See recipes.py for the
list and `python -m devstack.images --help` for the command line."""
