"""Fictional demo data: forums of every kind, sessions, people, agendas, registrations.

Every name here is invented by combining common given names and surnames; none is a real person. The
register looks like a real one: each name is written in one script, as its bearer writes it (Tajik
and Uzbek names in Tajik Cyrillic, Russian ones in Russian Cyrillic, international observers in Latin
letters), surname first, and no two people could be taken for the same person
(``forums.people.duplicates``).
"""

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from forums.concerns import operations as concerns
from forums.people.duplicates import name_words
from forums.people.names import search_key
from forums.security import hash_password
from models import (
    AgendaItem,
    AgendaKind,
    AgendaSpeaker,
    BalancePolicy,
    Dimension,
    Forum,
    ForumKind,
    ForumSession,
    Participant,
    ParticipantCategory,
    Quota,
    Registration,
    RegistrationStatus,
    Role,
    SessionFacilitator,
    SessionStatus,
    User,
    Visibility,
    db,
    utcnow,
)
from models.concerns import AnswerState, Channel, ConcernStage
from models.registrations import ON_LIST, SEATED

DUSHANBE = ZoneInfo("Asia/Dushanbe")
ADMIN_EMAIL = "admin@example.org"
FACILITATOR_EMAIL = "facilitator@example.org"

@dataclass(frozen=True)
class NamePool:
    """Surnames (masculine) and given names of one naming tradition, all in one script."""

    surnames: tuple[str, ...]
    women: tuple[str, ...]
    men: tuple[str, ...]
    #: whether a woman's surname takes ``-а`` after ``-ов``/``-ев``/``-ин`` (Раҳимов -> Раҳимова)
    feminine_a: bool = True


TAJIK = NamePool(
    ("Раҳимов", "Шарипов", "Қодиров", "Ғафуров", "Ҷураев", "Назаров", "Саидов", "Мирзоев", "Ҳакимов",
     "Иброҳимов", "Зиёев", "Қурбонов", "Сатторов", "Одинаев", "Бобоев", "Давлатов", "Ҳолов", "Нуров",
     "Раҷабов", "Шарифов", "Ҳусейнов", "Файзуллоев", "Амонов", "Ёқубов"),
    ("Нигора", "Зарина", "Мадина", "Гулноза", "Фарзона", "Шаҳноза", "Дилором", "Мавҷуда", "Саодат",
     "Малика", "Таҳмина", "Парвина", "Мунира", "Ҳилола", "Зебо", "Ситора"),
    ("Далер", "Фирдавс", "Бахтиёр", "Ҷамшед", "Ҳасан", "Комрон", "Шавкат", "Исмоил", "Рустам", "Фарҳод",
     "Сорбон", "Умед", "Муҳаммад", "Зафар", "Фаррух", "Ғайрат", "Суҳроб", "Қаҳҳор"),
)
UZBEK = NamePool(
    ("Юсупов", "Усмонов", "Турсунов", "Алимов", "Аҳмедов", "Тошпӯлатов", "Эргашев", "Норматов"),
    ("Дилноза", "Гулнора", "Феруза", "Нодира", "Лола", "Мавлуда"),
    ("Шуҳрат", "Улуғбек", "Азиз", "Баҳодир", "Абдулло", "Илҳом"),
)
RUSSIAN = NamePool(
    ("Иванов", "Петров", "Смирнов", "Кузнецов", "Волков", "Соколов", "Морозов", "Лебедев", "Никитин"),
    ("Ольга", "Наталья", "Елена", "Татьяна", "Ирина", "Светлана"),
    ("Сергей", "Андрей", "Алексей", "Владимир", "Николай", "Дмитрий"),
)
LATIN = NamePool(
    ("Lindqvist", "Carter", "Moreau", "Keller", "Novak", "Bianchi", "Hansen", "Walsh"),
    ("Anna", "Claire", "Sofia", "Ingrid", "Maria", "Helen"),
    ("James", "Thomas", "Pierre", "Lukas", "Marco", "Erik"),
    feminine_a=False,
)
ORGANISATIONS = {
    "government": "Ministry of Labour", "uto": "UTO Commission", "internal_opposition": "Leninabad bloc",
    "minorities": "Uzbek Cultural Centre", "business": "Association of Entrepreneurs",
    "civil_society": "Women's Union", "academia": "Academy of Sciences", "media": "Asia-Plus",
    "military": "Ministry of Defence", "international": "UN Mission of Observers",
}
FORUMS = [
    ("Round table on national reconciliation", ForumKind.round_table, Visibility.invitation),
    ("Discussion Club", ForumKind.discussion_club, Visibility.public),
    ("Regional economic forum", ForumKind.economic_forum, Visibility.public),
    ("Symposium on the rule of law", ForumKind.symposium, Visibility.invitation),
    ("Seminar on confidence-building", ForumKind.seminar, Visibility.public),
]
SESSION_TOPICS = ["Refugees returning home", "Water and land", "Elections and parties", "Schools in two languages",
                  "Small business credit", "Roads between regions", "Courts and lawyers", "Women in public life",
                  "Press freedom", "Demobilisation", "Trade with neighbours", "Local councils", "Healthcare",
                  "Cotton prices"]
VENUES = ["Hotel Tajikistan, hall 2", "OSCE office, conference room", "House of Writers",
          "Regional hakimiyat, small hall", "University, room 101"]
AGENDA_PLAN = [("Opening", AgendaKind.opening, 15), ("Presentation", AgendaKind.presentation, 45),
               ("Break", AgendaKind.break_, 15), ("Discussion", AgendaKind.discussion, 75),
               ("Closing", AgendaKind.closing, 15)]


def _pool(group: str, index: int) -> NamePool:
    """Whose names a person of ``group`` has: observers are foreigners, the minority here is Uzbek, and
    every other academic or journalist is Russian, as in Dushanbe's institutes and newsrooms then."""
    if group == "international":
        return LATIN
    if group == "minorities":
        return UZBEK
    if group in ("academia", "media") and index % 2:
        return RUSSIAN
    return TAJIK


def _name(rng: random.Random, pool: NamePool, gender: str, taken: set[tuple[str, ...]]) -> str:
    """A name from ``pool`` that nobody in ``taken`` could be taken for (``name_words``); adds it there."""
    while True:
        surname = rng.choice(pool.surnames)
        if gender == "woman" and pool.feminine_a and surname.endswith(("ов", "ев", "ин")):
            surname += "а"
        name = f"{surname} {rng.choice(pool.women if gender == 'woman' else pool.men)}"
        if name_words(name) not in taken:
            taken.add(name_words(name))
            return name


def _user(email: str, role: Role) -> str | None:
    """Create the user if missing and return its new password, else None."""
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        return None
    password = secrets.token_urlsafe(12)
    db.session.add(User(email=email, password_hash=hash_password(password), role=role))
    return password


def load_demo_data(seed: int = 1997) -> str:
    """Add the demo data unless it is already there; returns a summary to print."""
    rng = random.Random(seed)
    lines = []
    for email, role in ((ADMIN_EMAIL, Role.admin), (FACILITATOR_EMAIL, Role.facilitator)):
        password = _user(email, role)
        lines.append(f"{role.value} {email} password: {password}" if password
                     else f"{role.value} {email} already exists (password unchanged).")
    if db.session.scalar(sa.select(Forum.id).where(Forum.title == FORUMS[0][0])) is not None:
        return "\n".join(["Demo data is already loaded."] + lines)

    dimensions = {d.key: d
                  for d in db.session.scalars(sa.select(Dimension).options(selectinload(Dimension.categories)))}
    categories = {key: {c.key: c for c in d.categories} for key, d in dimensions.items()}
    people = _participants(rng, categories)
    forums = [Forum(title=title, kind=kind, description=f"{title}: demo data.") for title, kind, _ in FORUMS]
    db.session.add_all(forums)
    db.session.flush()
    _policies(forums, categories)
    sessions = _sessions(rng, forums, categories)
    db.session.flush()
    facilitator = db.session.scalar(sa.select(User).where(User.email == FACILITATOR_EMAIL))
    assert facilitator is not None  # _user made or found the account above
    # The facilitator runs the door of the first session still to come.
    db.session.add(SessionFacilitator(session_id=sessions[PAST_SESSIONS].id, user_id=facilitator.id))
    registrations = _registrations(rng, sessions, people)
    _agendas(rng, sessions, people)
    db.session.flush()
    _concerns(sessions)
    lines.insert(0, f"Loaded {len(forums)} forums, {len(sessions)} sessions, {len(people)} participants, "
                    f"{registrations} registrations.")
    return "\n".join(lines)


def _participants(rng: random.Random, categories: dict) -> list[Participant]:
    groups, regions, sectors = list(categories["group"]), list(categories["region"]), list(categories["sector"])
    people = []
    # Names come from a generator of their own: redrawing a name already taken shifts nothing else.
    names, taken = random.Random(rng.getrandbits(64)), set[tuple[str, ...]]()
    for index in range(132):
        gender = "woman" if index % 5 in (0, 2) else "man"
        values = {"group": groups[index % len(groups)], "region": regions[index % len(regions)], "gender": gender}
        if values["group"] in SECTOR_GROUPS:
            values["sector"] = sectors[index % len(sectors)]
        name = _name(names, _pool(values["group"], index // len(groups)), gender, taken)
        languages = rng.choice(["ru", "tg", "ru,tg", "en,ru"])
        person = Participant(name=name, search_key=search_key(name), organisation=ORGANISATIONS[values["group"]],
                             languages="en,ru" if values["group"] == "international" else languages,
                             consent_at=utcnow())
        for dimension_key, category_key in values.items():
            chosen = categories[dimension_key][category_key]
            person.categories.append(ParticipantCategory(dimension_id=chosen.dimension_id, category_id=chosen.id))
        people.append(person)
    db.session.add_all(people)
    return people


def _policies(forums: list[Forum], categories: dict) -> None:
    """The round table gets the strict policy the domain describes: every group present, parity, no dominance."""
    quotas = []
    for key, category in categories["group"].items():
        if category.counts_toward_balance:
            quotas.append(Quota(dimension_id=category.dimension_id, category_id=category.id, min_count=1,
                                max_share=0.3, target_share=0.11 if key in ("government", "uto") else None))
    for category in categories["gender"].values():
        quotas.append(Quota(dimension_id=category.dimension_id, category_id=category.id, min_share=0.3,
                            target_share=0.5))
    db.session.add(BalancePolicy(forum_id=forums[0].id, quotas=quotas))


#: people of these groups have a sector (those who run or regulate an economy's firms)
SECTOR_GROUPS = ("business", "government", "minorities", "civil_society")

#: the first sessions took place already (one every four days up to four days ago); the others are to come
PAST_SESSIONS = 3


def _sessions(rng: random.Random, forums: list[Forum], categories: dict) -> list[ForumSession]:
    """Sessions every four days: ``PAST_SESSIONS`` held already, then the rest from three days on (one cancelled)."""
    today = datetime.now(DUSHANBE).date()
    regions = list(categories["region"].values())
    sessions = []
    for index, topic in enumerate(SESSION_TOPICS):
        forum = forums[index % len(forums)]
        if index < PAST_SESSIONS:
            day = today - timedelta(days=4 * (PAST_SESSIONS - index))
        else:
            day = today + timedelta(days=3 + (index - PAST_SESSIONS) * 4)
        starts_at = datetime.combine(day, time(10 if index % 2 else 14), tzinfo=DUSHANBE)
        status = SessionStatus.published
        if index == 5:
            status = SessionStatus.cancelled
        elif index == len(SESSION_TOPICS) - 1:
            status = SessionStatus.draft
        sessions.append(ForumSession(
            forum=forum, title=topic, description=f"{forum.title}: {topic.lower()}.",
            translations={}, starts_at=starts_at, ends_at=starts_at + timedelta(hours=3),
            venue=rng.choice(VENUES), region=regions[index % len(regions)], capacity=rng.choice([20, 25, 30, 40]),
            visibility=FORUMS[index % len(FORUMS)][2], status=status,
        ))
    db.session.add_all(sessions)
    return sessions


def _registrations(rng: random.Random, sessions: list[ForumSession], people: list[Participant]) -> int:
    """A mix of statuses per session; only sessions that took place (ended, not cancelled) have check-ins:
    elsewhere the share that would have attended is confirmed."""
    now = utcnow()
    statuses = [RegistrationStatus.invited, RegistrationStatus.registered, RegistrationStatus.confirmed,
                RegistrationStatus.attended, RegistrationStatus.declined, RegistrationStatus.cancelled]
    count = 0
    for forum_session in sessions:
        chosen = rng.sample(people, k=min(len(people), forum_session.capacity * 2 + 6))
        seated = 0
        held = forum_session.ends_at <= now and forum_session.status is not SessionStatus.cancelled
        for index, person in enumerate(chosen):
            status = statuses[index % len(statuses)]
            if status is RegistrationStatus.attended and not held:
                status = RegistrationStatus.confirmed
            if status in SEATED:
                if seated >= forum_session.capacity:
                    status = RegistrationStatus.waitlisted
                else:
                    seated += 1
            registration = Registration(forum_session=forum_session, participant=person, status=status)
            if status is RegistrationStatus.attended:
                registration.status_before_checkin = RegistrationStatus.confirmed
                registration.checked_in_at = forum_session.starts_at - timedelta(minutes=rng.randint(1, 20))
            if status is RegistrationStatus.waitlisted:
                registration.waitlisted_at = utcnow() + timedelta(seconds=index)
            db.session.add(registration)
            count += 1
    return count


def _agendas(rng: random.Random, sessions: list[ForumSession], people: list[Participant]) -> None:
    for forum_session in sessions:
        moment = forum_session.starts_at
        for position, (title, kind, minutes) in enumerate(AGENDA_PLAN):
            item = AgendaItem(forum_session=forum_session, position=position, title=title, kind=kind,
                              starts_at=moment, ends_at=moment + timedelta(minutes=minutes), translations={})
            if kind in (AgendaKind.opening, AgendaKind.presentation, AgendaKind.discussion):
                speakers = rng.sample(people, k=2 if kind is AgendaKind.discussion else 1)
                for speaker_position, person in enumerate(speakers):
                    item.speakers.append(AgendaSpeaker(participant=person, position=speaker_position))
            db.session.add(item)
            moment += timedelta(minutes=minutes)


#: concerns raised at the economic forum's sessions: (language, text), in the order they are moderated below
CONCERNS = [
    ("ru", "Налоговая проверка приходит каждый месяц; просим не чаще раза в год."),
    ("tg", "Барои содироти меваи хушк иҷозатномаро дар як ҳафта додан лозим аст."),
    ("en", "Electricity is cut every evening in winter; our workshop loses half its shifts."),
    ("ru", "Кредиты для малого бизнеса только под 40% годовых."),
    ("tg", "Роҳи байни Кӯлоб ва Душанбе дар зимистон баста мешавад."),
    ("ru", "Таможня на границе держит грузовики по неделе."),
]


def _concerns(sessions: list[ForumSession]) -> None:
    """Concerns at the economic forum's sessions (in several regions), at every stage: submitted, accepted,
    declined with a reason, grouped, on the agenda, answered with a commitment (one of them overdue)."""
    economic = [each for each in sessions if each.forum.kind is ForumKind.economic_forum
                and each.status is not SessionStatus.cancelled]
    on_list = {(registration.session_id, registration.participant_id): registration
               for registration in db.session.scalars(sa.select(Registration).where(
                   Registration.session_id.in_([each.id for each in economic]), Registration.status.in_(ON_LIST)))}
    for forum_session in economic:
        people = [db.session.get(Participant, participant_id) for (session_id, participant_id) in on_list
                  if session_id == forum_session.id][:len(CONCERNS)]
        raised = [concerns.submit(forum_session, person, channel=Channel.link, language=language, text=text)
                  for person, (language, text) in zip(people, CONCERNS, strict=False) if person is not None]
        if len(raised) < 5:
            continue
        for concern in raised[:4]:
            concerns.moderate(concern, ConcernStage.accepted)
        concerns.moderate(raised[4], ConcernStage.declined, "Outside what the officials present can answer.")
        issue = concerns.new_issue(forum_session, "Inspections and credit for small firms")
        concerns.group([raised[0], raised[3]], issue)
        item = next(each for each in forum_session.agenda if each.kind is AgendaKind.discussion)
        concerns.move_issue(issue, ConcernStage.on_agenda, item.id)
        if forum_session.ends_at <= utcnow():
            concerns.move_issue(issue, ConcernStage.presented)
            answer = concerns.draft_answer(
                issue, official="Deputy Minister of Finance", authority="Ministry of Finance",
                answered_on=forum_session.starts_at.astimezone(DUSHANBE).date(),
                text="Inspections of small firms will be planned once a year; credit lines are under study.",
                state=AnswerState.under_study)
            concerns.add_commitment(answer, description="Publish the yearly inspection plan",
                                    owner="Tax Committee", due_on=forum_session.starts_at.date() + timedelta(days=2))
            concerns.publish_answer(answer)
