"""among(): a column tested against a list of values given at execution, the same answer as IN on either
database."""

from typing import Any

from sqlalchemy import event, select

from app.bootstrap import DEMO_AGENCIES
from app.db import Database
from app.models import Agency
from app.services.identity.agencies import create_agency
from app.services.sequencing import is_postgres
from app.services.sql_lists import among


def test_among_answers_as_in_does_whatever_the_number_of_values(db: Database) -> None:
    with db.transaction() as session:
        for agency in DEMO_AGENCIES:
            create_agency(session, agency)
    with db.sessions() as session:
        statement = select(Agency.id).where(among(is_postgres(session), Agency.id, "ids"))
        every = sorted(session.scalars(select(Agency.id)))
        assert len(every) == len(DEMO_AGENCIES) >= 2
        nobody = [f"xx-{n}" for n in range(300)]
        for values in ([], every[:1], every, [*nobody, every[-1], "it-dcsa' OR '1'='1"], nobody):
            expected = sorted(session.scalars(select(Agency.id).where(Agency.id.in_(values))))
            found = sorted(session.scalars(statement, {"ids": values}))
            assert found == expected
            assert len(found) == len(set(values) & set(every))


def test_on_postgresql_the_driver_gets_one_statement_whatever_the_number_of_values(db: Database) -> None:
    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("SELECT"):  # not SQLite's BEGIN
            sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with db.sessions() as session:
            postgres = is_postgres(session)
            statement = select(Agency.id).where(among(postgres, Agency.id, "ids"))
            for values in (["a"], ["a", "b", "c"], [f"v{n}" for n in range(700)]):
                session.execute(statement, {"ids": values}).all()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(set(sent)) == (1 if postgres else 3)
