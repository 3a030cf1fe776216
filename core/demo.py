"""The demo province: every module's ``<module>/demo.py`` ``seed(people)``, in module order, in one
transaction. auth's comes first and fills ``people`` (agencies, leaders, officers) for the others."""
import importlib

from core.extensions import db


class AlreadySeeded(Exception):
    pass


def seed():
    from core import MODULES

    people = {}
    for module in MODULES:
        try:
            demo = importlib.import_module(f"{module}.demo")
        except ModuleNotFoundError as exc:
            if exc.name != f"{module}.demo":
                raise
            continue
        demo.seed(people)
    db.session.commit()
    return people
