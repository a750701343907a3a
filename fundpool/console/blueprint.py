"""The console's one blueprint; each module under ``views`` adds its pages to it."""

from flask import Blueprint

bp = Blueprint("console", __name__, template_folder="templates", static_folder="static",
               static_url_path="/console/static")
