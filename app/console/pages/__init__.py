"""The console's pages, one module each; `register` mounts them all."""

from fastapi import FastAPI

from app.console.pages import (
    alert_form,
    auth,
    cooperation,
    directory,
    inbox,
    matching,
    record_edit,
    record_forms,
    records,
    rooms,
    trends,
)


def register(app: FastAPI) -> None:
    # records last: its /{kind} routes would otherwise catch the other pages' paths.
    pages = (
        auth,
        inbox,
        alert_form,
        record_forms,
        record_edit,
        matching,
        cooperation,
        rooms,
        trends,
        directory,
        records,
    )
    for module in pages:
        app.include_router(module.router)
