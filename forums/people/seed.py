"""The default dimensions and categories that ``init-db`` seeds (see shared/context/DOMAIN.md)."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from models import Category, Dimension, db


@dataclass(frozen=True)
class CategorySeed:
    """A default category with its names in English, Russian and Tajik."""

    key: str
    en: str
    ru: str
    tg: str
    counts_toward_balance: bool = True


DEFAULT_DIMENSIONS: tuple[tuple[str, tuple[str, str, str], tuple[CategorySeed, ...]], ...] = (
    ("group", ("Group", "Группа", "Гурӯҳ"), (
        CategorySeed("government", "Government", "Правительство", "Ҳукумат"),
        CategorySeed("uto", "United Tajik Opposition", "Объединённая таджикская оппозиция",
                     "Иттиҳоди мухолифини тоҷик"),
        CategorySeed("internal_opposition", "Internal opposition", "Внутренняя оппозиция", "Мухолифати дохилӣ"),
        CategorySeed("minorities", "National minorities", "Национальные меньшинства", "Ақаллиятҳои миллӣ"),
        CategorySeed("business", "Businesses", "Предприниматели", "Соҳибкорон"),
        CategorySeed("civil_society", "Civil society", "Гражданское общество", "Ҷомеаи шаҳрвандӣ"),
        CategorySeed("academia", "Academia and intellectuals", "Учёные и интеллигенция", "Олимон ва зиёиён"),
        CategorySeed("media", "Media", "СМИ", "Воситаҳои ахбори омма"),
        CategorySeed("military", "Military", "Военные", "Ҳарбиён"),
        CategorySeed("international", "International observers", "Международные наблюдатели",
                     "Нозирони байналмилалӣ", counts_toward_balance=False),
    )),
    ("region", ("Region", "Регион", "Минтақа"), (
        CategorySeed("dushanbe", "Dushanbe", "Душанбе", "Душанбе"),
        CategorySeed("leninabad", "Leninabad (Sughd)", "Ленинабад (Согд)", "Ленинобод (Суғд)"),
        CategorySeed("kulyab", "Kulyab", "Куляб", "Кӯлоб"),
        CategorySeed("kurgan_tyube", "Kurgan-Tyube", "Курган-Тюбе", "Қӯрғонтеппа"),
        CategorySeed("karategin", "Karategin (Gharm)", "Каратегин (Гарм)", "Қаротегин (Ғарм)"),
        CategorySeed("hissar", "Hissar", "Гиссар", "Ҳисор"),
        CategorySeed("gorno_badakhshan", "Gorno-Badakhshan", "Горный Бадахшан", "Бадахшони Кӯҳӣ"),
    )),
    ("gender", ("Gender", "Пол", "Ҷинс"), (
        CategorySeed("woman", "Women", "Женщины", "Занон"),
        CategorySeed("man", "Men", "Мужчины", "Мардон"),
    )),
    # For economic forums (issue 16). ``init-db`` adds it to an existing database too: seeding adds what is
    # missing and leaves staff renames alone, so no data migration is needed.
    ("sector", ("Sector", "Отрасль", "Соҳа"), (
        CategorySeed("agriculture", "Agriculture", "Сельское хозяйство", "Кишоварзӣ"),
        CategorySeed("trade", "Trade", "Торговля", "Савдо"),
        CategorySeed("manufacturing", "Manufacturing", "Производство", "Истеҳсолот"),
        CategorySeed("construction", "Construction", "Строительство", "Сохтмон"),
        CategorySeed("transport", "Transport", "Транспорт", "Нақлиёт"),
        CategorySeed("services", "Services", "Услуги", "Хизматрасонӣ"),
    )),
)


def seed_dimensions() -> int:
    """Add the default dimensions and categories that are missing; returns how many rows it added.

    Existing rows are left as they are, so staff renames survive a second ``init-db``.
    """
    added = 0
    query = sa.select(Dimension).options(selectinload(Dimension.categories))
    existing = {dimension.key: dimension for dimension in db.session.scalars(query)}
    for position, (key, (en, ru, tg), categories) in enumerate(DEFAULT_DIMENSIONS):
        dimension = existing.get(key)
        if dimension is None:
            dimension = Dimension(key=key, name_en=en, name_ru=ru, name_tg=tg, position=position)
            db.session.add(dimension)
            added += 1
        known = {category.key for category in dimension.categories}
        for cat_position, seed in enumerate(categories):
            if seed.key in known:
                continue
            dimension.categories.append(Category(
                key=seed.key, name_en=seed.en, name_ru=seed.ru, name_tg=seed.tg,
                counts_toward_balance=seed.counts_toward_balance, position=cat_position,
            ))
            added += 1
    return added
