"""Sample posts of the publisher's website in three languages, written for this project.

Each commentary is three posts, one per language, with their own WordPress ids; the
translations name each other only on their pages (hreflang), as Polylang does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from standin.feed_site import Post


@dataclass(frozen=True, slots=True)
class Version:
    """One language of a sample commentary."""

    slug: str
    title: str
    author: str
    category: str
    excerpt: str
    body: str


COMMENTARIES: tuple[dict[str, Version], ...] = (
    {
        "be": Version(
            slug="чыгунка-транзіт",
            title="Транзіт па чыгунцы: новыя маршруты на ўсход",
            author="Алесь Карпенка",
            category="Эканоміка",
            excerpt="Грузы, якія раней ішлі праз Літву, шукаюць новыя шляхі. Што гэта каштуе.",
            body=(
                "<p>Грузы, якія раней ішлі праз літоўскія парты, за год перайшлі на "
                "расійскія тэрмінальныя станцыі. Адлегласць вырасла ўдвая&nbsp;— і гэтак жа "
                "вырас кошт.</p><h3>Колькі гэта каштуе</h3><ul><li>тарыф на тону ўзрос на "
                "трэць;</li><li>час дастаўкі&nbsp;— з трох да васьмі дзён.</li></ul>"
                "<blockquote><p>&laquo;Мы плацім за геаграфію&raquo;,&nbsp;— кажа "
                'экспедытар.</p></blockquote><p>Падрабязней&nbsp;— у <a href="/be/'
                'даведка/транзіт/">даведцы</a>.</p>'
            ),
        ),
        "ru": Version(
            slug="железная-дорога-транзит",
            title="Транзит по железной дороге: новые маршруты на восток",
            author="Алесь Карпенко",
            category="Экономика",
            excerpt="Грузы, что раньше шли через Литву, ищут новые пути. Во что это обходится.",
            body=(
                "<p>Грузы, которые раньше шли через литовские порты, за год перешли на "
                "российские терминальные станции. Расстояние выросло вдвое&nbsp;— и так же "
                "вырос тариф.</p><h3>Во что это обходится</h3><ul><li>тариф за тонну вырос "
                "на треть;</li><li>срок доставки&nbsp;— с трёх до восьми дней.</li></ul>"
                "<blockquote><p>&laquo;Мы платим за географию&raquo;,&nbsp;— говорит "
                "экспедитор.</p></blockquote>"
            ),
        ),
        "en": Version(
            slug="rail-transit-east",
            title="Rail transit: new routes to the east",
            author="Ales Karpenka",
            category="Economy",
            excerpt="Freight that used to cross Lithuania is looking for new routes, at a cost.",
            body=(
                "<p>Freight that used to leave through Lithuanian ports moved to Russian "
                "terminals within a year. The distance doubled, and so did the tariff.</p>"
                "<h3>What it costs</h3><ol><li>the tariff per tonne rose by a third;</li>"
                "<li>delivery takes eight days instead of three.</li></ol>"
                "<blockquote><p>&ldquo;We pay for geography,&rdquo; a forwarder says.</p>"
                "</blockquote>"
            ),
        ),
    },
    {
        "be": Version(
            slug="школы-мова",
            title="Школы і мова навучання: лічбы за дзесяць гадоў",
            author="Ірына Лявонава",
            category="Грамадства",
            excerpt="Доля беларускамоўных класаў скарацілася яшчэ раз.",
            body=(
                "<p>Доля беларускамоўных класаў скарацілася яшчэ раз: сёння ў іх вучыцца "
                "менш за дзесятую частку школьнікаў.</p><table><tr><th>Год</th><th>Доля"
                "</th></tr><tr><td>2016</td><td>13%</td></tr><tr><td>2026</td><td>8%</td>"
                "</tr></table><p>У гарадах гэтая доля яшчэ ніжэйшая.</p>"
            ),
        ),
        "ru": Version(
            slug="школы-язык",
            title="Школы и язык обучения: цифры за десять лет",
            author="Ирина Леонова",
            category="Общество",
            excerpt="Доля белорусскоязычных классов сократилась ещё раз.",
            body=(
                "<p>Доля белорусскоязычных классов сократилась ещё раз: сегодня в них учится "
                "меньше десятой части школьников.</p><table><tr><th>Год</th><th>Доля</th>"
                "</tr><tr><td>2016</td><td>13%</td></tr><tr><td>2026</td><td>8%</td></tr>"
                "</table><p>В городах эта доля ещё ниже.</p>"
            ),
        ),
        "en": Version(
            slug="schools-language",
            title="Schools and the language of teaching: ten years in figures",
            author="Iryna Liavonava",
            category="Society",
            excerpt="The share of Belarusian-language classes has shrunk once more.",
            body=(
                "<p>The share of Belarusian-language classes has shrunk once more: fewer than "
                "one pupil in ten is taught in Belarusian today.</p><table><tr><th>Year</th>"
                "<th>Share</th></tr><tr><td>2016</td><td>13%</td></tr><tr><td>2026</td>"
                "<td>8%</td></tr></table><p>In the cities the share is lower still.</p>"
            ),
        ),
    },
)


def commentary_posts(
    index: int,
    first_pid: int,
    published: datetime,
    *,
    languages: tuple[str, ...] = ("be", "ru", "en"),
) -> list[Post]:
    """Return the posts of one sample commentary, a few minutes apart, naming each other."""
    versions = COMMENTARIES[index]
    pids = {language: first_pid + n for n, language in enumerate(languages)}
    return [
        Post(
            pid=pids[language],
            language=language,
            slug=versions[language].slug,
            title=versions[language].title,
            author=versions[language].author,
            published=published + timedelta(minutes=5 * n),
            body=versions[language].body,
            excerpt=versions[language].excerpt,
            categories=(versions[language].category,),
            translations={other: pid for other, pid in pids.items() if other != language},
        )
        for n, language in enumerate(languages)
    ]
