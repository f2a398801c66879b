"""The console's pages, one module each; `register` mounts them all."""

from fastapi import FastAPI

from app.console.pages import (
    alert_form,
    auth,
    cooperation,
    directory,
    inbox,
    matching,
    records,
    rooms,
    trends,
)


def register(app: FastAPI) -> None:
    # records last: its /{kind} routes would otherwise catch the other pages' paths.
    for module in (auth, inbox, alert_form, matching, cooperation, rooms, trends, directory, records):
        app.include_router(module.router)
