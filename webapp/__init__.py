"""The platform's web app: the try-it page for the troll classifier and the data
workbench where administrators and labellers manage the labelled comments, the users'
feedback and retraining. Server-rendered (FastAPI + Jinja2); `python -m webapp`."""
