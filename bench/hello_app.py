"""The ceiling for the load test: the smallest Flask app, under the same gunicorn settings."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
