"""Project-wide pytest set-up: the shared test world of `consulta.testing` as fixtures."""

pytest_plugins = ["consulta.testing"]
