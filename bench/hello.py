"""The reference of `formula_page_rps_vs_hello`: the smallest Flask application."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Bonjour"
