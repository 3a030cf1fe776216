"""Search latency over 10,000 directives, 50,000 progress reports and 200,000 chat messages, on SQLite
(FTS5) and PostgreSQL (tsvector + GIN), against two baselines run in the same process on the same data.

- **ours**: ``search.queries.search(user, {"q": ...})`` as the page and the API call it: fold the query,
  match, filter by what the user may see (SQL joins), rank by relevance then recency, take 20, load their
  titles, cut and highlight the snippets. As a leader (sees everything) and as an officer (one agency's
  directives, the meetings they attend).
- **baseline FTS**: the same full-text match and ranking, LIMIT 20, without the permission filter, the
  titles or the snippets: what the engine costs alone.
- **baseline LIKE**: ``folded LIKE '%words%' LIMIT 20`` over the same table, unranked: what a search
  without a full-text index does.

usage: .venv/bin/python bench/search.py [--engines sqlite,postgresql] [--repeat 20] [--scale 1.0]
                                        [--postgres-url postgresql://postgres@127.0.0.1:5432/test]
Prints a table and writes bench/results/search.json. Not part of the test suite.
"""
import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = (
    "triển khai thực hiện kế hoạch báo cáo kết quả tình hình chỉ đạo ủy ban nhân dân tỉnh sở ngành địa phương "
    "huyện xã phường công tác phòng chống dịch bệnh thiên tai lũ lụt bão thoát nước ngập úng đô thị chuyển đổi số "
    "chính quyền điện tử cải cách hành chính đầu tư công giải ngân vốn xây dựng nông thôn mới giáo dục đào tạo "
    "y tế khám chữa bệnh bảo hiểm xã hội an sinh giảm nghèo việc làm lao động doanh nghiệp hỗ trợ thủ tục hồ sơ "
    "trực tuyến dịch vụ công môi trường rác thải nước sạch giao thông đường bộ cầu cống quy hoạch đất đai tài "
    "nguyên khoáng sản du lịch văn hóa thể thao an ninh trật tự quốc phòng biên giới kinh tế tăng trưởng ngân sách "
    "thu chi thuế phí kiểm tra giám sát thanh tra xử lý vi phạm khẩn trương nghiêm túc đúng hạn quá hạn gia hạn "
    "tiến độ hoàn thành đề xuất kiến nghị tham mưu phối hợp chủ trì đơn vị cá nhân tập thể khen thưởng kỷ luật "
    "Hương Thủy Hương Trà Phong Điền Quảng Điền Phú Vang Phú Lộc Nam Đông A Lưới Huế sông Hương Đông Ba Thuận An"
)
VOCAB = tuple(WORDS.split(" "))
AGENCIES = 20
MEETINGS = 1000
QUERIES = ("chuyen doi so", "thoat nuoc huong thuy", "ke hoach", "15/UBND-TH", "phong chong lu",
           "dich vu cong truc tuyen", "khoang san", "nam dong")


def sentence(rng, n):
    # Zipf-like: a few words very common (as in real administrative text), most rare
    return " ".join(VOCAB[min(int(rng.paretovariate(0.9)) - 1, len(VOCAB) - 1)] if rng.random() < 0.5
                    else rng.choice(VOCAB) for _ in range(n))


def make_app(database_url, instance):
    os.environ["INSTANCE_PATH"] = str(instance)
    from core import create_app

    return create_app({
        "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": database_url, "ASYNC_MODE": "threading",
        "SCHEDULER_ENABLED": False, "REDIS_URL": None,
    })


def _bulk(model, rows):
    from sqlalchemy import insert

    from core.extensions import db

    for i in range(0, len(rows), 5000):
        db.session.execute(insert(model), rows[i:i + 5000])


def seed(scale, rng):
    """Everything by bulk INSERT (no ORM unit of work), the index rows built by the same folding."""
    from auth.models import Agency, User
    from core.extensions import db
    from directives.models import Assignment, Directive, ProgressReport
    from meetings.models import ChatMessage, Meeting, Participant
    from search.indexing import COLUMNS, insert_statement
    from search.models import SearchEntry
    from search.text import fold, index_text

    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    n_dir, n_rep, n_msg = int(10_000 * scale), int(50_000 * scale), int(200_000 * scale)
    _bulk(Agency, [{"id": a, "code": f"AG{a}", "name": f"Đơn vị {a}", "kind": "department"}
                   for a in range(1, AGENCIES + 1)])
    users = [{"id": 1, "username": "leader", "full_name": "Lãnh đạo", "role": "leader", "password_hash": "x"}]
    users += [{"id": 1 + a * 2 + k, "username": f"o{a}_{k}", "full_name": f"Cán bộ {a}.{k}", "role": "officer",
               "agency_id": a, "password_hash": "x"} for a in range(1, AGENCIES + 1) for k in (0, 1)]
    _bulk(User, users)
    officers = {a: [1 + a * 2, 2 + a * 2] for a in range(1, AGENCIES + 1)}
    entries = []

    def entry(part, type_, object_id, title, body, when, directive_id=None, meeting_id=None, ref=None):
        row = dict.fromkeys(COLUMNS)
        row.update(type=type_, part=part, object_id=object_id, title=title, body=body,
                   folded=index_text(title, body), happened_at=when, directive_id=directive_id,
                   meeting_id=meeting_id, ref=ref)
        entries.append(row)

    directives, assignments = [], []
    for d in range(1, n_dir + 1):
        when = t0 + timedelta(minutes=d * 97)
        title, body, number = sentence(rng, rng.randint(6, 10)).capitalize(), sentence(rng, rng.randint(30, 60)), \
            f"{d}/UBND-TH"
        directives.append({"id": d, "number": number, "year": 2025, "seq": d, "title": title, "body": body,
                           "issuer_id": 1, "issued_at": when, "deadline": when + timedelta(days=30)})
        for role, agency in zip(("lead", "support", "support"), rng.sample(range(1, AGENCIES + 1), rng.randint(1, 3)),
                                strict=False):
            assignments.append({"id": len(assignments) + 1, "directive_id": d, "agency_id": agency, "role": role,
                                "deadline": when + timedelta(days=30), "updated_at": when})
        entry("directive", "directive", d, f"{number} · {title}", body, when, directive_id=d, ref=fold(number))
    _bulk(Directive, directives)
    _bulk(Assignment, assignments)
    reports = []
    for r in range(1, n_rep + 1):
        a = rng.choice(assignments)
        when = a["updated_at"] + timedelta(hours=r % 500)
        note = sentence(rng, rng.randint(15, 40))
        reports.append({"id": r, "assignment_id": a["id"], "author_id": officers[a["agency_id"]][0],
                        "progress": r % 101, "note": note, "created_at": when})
        entry("report", "directive", r, "", note, when, directive_id=a["directive_id"])
    _bulk(ProgressReport, reports)
    meetings, participants, members = [], [], {}
    for m in range(1, MEETINGS + 1):
        when = t0 + timedelta(hours=m * 17)
        title = "Họp " + sentence(rng, 6)
        meetings.append({"id": m, "title": title, "description": sentence(rng, 20), "starts_at": when,
                         "chair_id": 1, "created_by_id": 1, "status": "ended"})
        members[m] = rng.sample([u["id"] for u in users[1:]], 10)
        participants += [{"meeting_id": m, "user_id": u, "role": "member", "invited_at": when} for u in members[m]]
        entry("meeting", "meeting", m, title, meetings[-1]["description"], when, meeting_id=m)
    _bulk(Meeting, meetings)
    _bulk(Participant, participants)
    messages = []
    for i in range(1, n_msg + 1):
        m = rng.randint(1, MEETINGS)
        when = meetings[m - 1]["starts_at"] + timedelta(seconds=i % 3600)
        body = sentence(rng, rng.randint(5, 20))
        messages.append({"id": i, "meeting_id": m, "author_id": rng.choice(members[m]), "body": body,
                         "client_id": f"c{i}", "created_at": when})
        entry("message", "message", i, "", body, when, meeting_id=m)
        if len(messages) >= 20_000:
            _bulk(ChatMessage, messages)
            messages = []
    _bulk(ChatMessage, messages)
    statement = insert_statement(db.engine.dialect.name)
    for i in range(0, len(entries), 5000):
        db.session.execute(statement, entries[i:i + 5000])
    db.session.commit()
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "sqlite":
            conn.exec_driver_sql("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return db.session.scalar(db.select(db.func.count(SearchEntry.id)))


def baseline_fts(q):
    """The engine alone: match and rank every match (no permissions, no cut, no titles or snippets)."""
    from core.extensions import db
    from search import queries

    terms = queries._terms(q)
    if db.engine.dialect.name == "postgresql":
        sql = ("SELECT id FROM search_entries WHERE tsv @@ to_tsquery('simple', :q)"
               " ORDER BY ts_rank(tsv, to_tsquery('simple', :q)) DESC, happened_at DESC LIMIT 20")
        return db.session.execute(db.text(sql), {"q": queries._tsquery(terms)}).all()
    sql = ("SELECT e.id FROM search_fts JOIN search_entries e ON e.id = search_fts.rowid"
           " WHERE search_fts MATCH :q ORDER BY bm25(search_fts), e.happened_at DESC LIMIT 20")
    return db.session.execute(db.text(sql), {"q": queries._fts5_query(terms)}).all()


def baseline_like(q):
    from sqlalchemy import select

    from core.extensions import db
    from search.models import SearchEntry
    from search.text import index_text

    pattern = f"%{index_text(q)}%"
    return db.session.scalars(select(SearchEntry.id).where(SearchEntry.folded.like(pattern)).limit(20)).all()


def measure(fn, repeat):
    times = []
    fn()  # warm the caches once
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def pct(times, p):
    times = sorted(times)
    return round(times[min(len(times) - 1, int(round(p / 100 * (len(times) - 1))))], 2)


def run_engine(engine, args):
    import sqlalchemy as sa

    from core.extensions import db
    from search import queries

    tmp = Path(tempfile.mkdtemp(prefix="search-bench-"))
    admin, url = None, f"sqlite:///{tmp / 'bench.db'}"
    if engine == "postgresql":
        base = sa.engine.make_url(args.postgres_url)
        name = f"search_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    try:
        app = make_app(url, tmp / "instance")
        with app.app_context():
            db.create_all()
            t = time.perf_counter()
            indexed = seed(args.scale, random.Random(15))
            seed_s = round(time.perf_counter() - t, 1)
            from auth.models import User

            leader = db.session.get(User, 1)
            officer = db.session.get(User, 7)  # an officer of agency 3
            rows = {"ours (leader)": [], "ours (officer)": [], "baseline FTS, no permissions": [],
                    "baseline LIKE": []}
            per_query = {}
            hits = {}
            for q in QUERIES:
                for label, fn in (
                    ("ours (leader)", lambda q=q: queries.search(leader, {"q": q, "page": 1})),
                    ("ours (officer)", lambda q=q: queries.search(officer, {"q": q, "page": 1})),
                    ("baseline FTS, no permissions", lambda q=q: baseline_fts(q)),
                    ("baseline LIKE", lambda q=q: baseline_like(q)),
                ):
                    times = measure(fn, args.repeat)
                    rows[label] += times
                    per_query.setdefault(q, {})[label] = pct(times, 95)
                    db.session.rollback()
                hits[q] = len(queries.search(officer, {"q": q, "page": 1})["items"])
            summary = {label: {"p50_ms": pct(t, 50), "p95_ms": pct(t, 95), "max_ms": round(max(t), 2)}
                       for label, t in rows.items()}
            db.session.remove()
            db.engine.dispose()
        return {"engine": engine, "indexed": indexed, "seed_s": seed_s, "summary": summary,
                "p95_per_query": per_query, "officer_hits": hits}
    finally:
        if args.keep:
            print(f"kept: {url}")
        elif admin is not None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true", help="keep the databases (to EXPLAIN the queries)")
    parser.add_argument("--postgres-url", default=os.environ.get("TEST_POSTGRES_URL",
                                                                 "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    results = [run_engine(engine, args) for engine in args.engines.split(",")]
    for r in results:
        print(f"\n{r['engine']}: {r['indexed']} index rows (seeded in {r['seed_s']} s)")
        for label, s in r["summary"].items():
            print(f"  {label:32} p50 {s['p50_ms']:8} ms  p95 {s['p95_ms']:8} ms  max {s['max_ms']:8} ms")
        for q, by in r["p95_per_query"].items():
            print(f"  {q!r:28} " + "  ".join(f"{v:7}" for v in by.values()))
    out = ROOT / "bench" / "results" / "search.json"
    out.write_text(json.dumps({"when": datetime.now(UTC).isoformat(timespec="seconds"), "repeat": args.repeat,
                               "scale": args.scale, "results": results}, indent=2, ensure_ascii=False))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
