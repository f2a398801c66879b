"""Packaging beyond what pyproject.toml can say: migrations/ lives at the top of the repository (beside
app/, as the layout asks) yet ships inside the wheel as the package app.migrations, so an installed KIX
can bring any database to head without a checkout."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["app", "app.*"]) + ["app.migrations", "app.migrations.versions"],
    package_dir={"app.migrations": "migrations"},
)
