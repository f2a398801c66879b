"""Names across scripts, for synthetic suspects: twelve naming cultures (Latin, Arabic, Cyrillic, Greek,
Devanagari and Han spellings, with a native-script spelling beside the Latin one where the culture has
one), made-up surnames and given names for the long tail of the name-token index, the planted people
(recorded by several agencies in Latin spellings, queried in their native script) and names nobody has.

The "app.demo" culture is app.demo's own names (FIRST, LAST, OTHER_SCRIPT), written as app.demo writes
them: the surname alone in its other script.
"""

import random
from dataclasses import dataclass
from typing import Any

from app.demo import FIRST, LAST, OTHER_SCRIPT

Spelling = tuple[str, str | None]  # (Latin spelling, native spelling or None)


def _spellings(text_: str) -> tuple[Spelling, ...]:
    """ "Latin|Native, Latin, ..." -> ((Latin, Native), (Latin, None), ...)."""
    pairs: list[Spelling] = []
    for item in text_.split(","):
        latin, _, native = item.strip().partition("|")
        pairs.append((latin, native or None))
    return tuple(pairs)


@dataclass(frozen=True)
class Culture:
    name: str
    weight: int
    script: str  # ISO 15924 of the native spellings
    countries: tuple[str, ...]
    firsts: tuple[Spelling, ...]
    lasts: tuple[Spelling, ...]
    suffixes: tuple[str, ...]  # endings of made-up surnames
    family_first: bool = False  # the native spelling puts the family name first, unspaced (Han)


CULTURES = (
    Culture(
        "app.demo", 8, "mixed", ("IT", "ES", "UA", "NG", "IN", "BR", "MX", "LB", "RO", "GR", "TR", "ZA"),
        tuple((name, None) for name in FIRST),
        tuple((name, OTHER_SCRIPT[name][0] if name in OTHER_SCRIPT else None) for name in LAST),
        ("ini", "ez", "enko", "escu"),
    ),
    Culture(
        "arabic", 13, "Arab", ("JO", "IQ", "SY", "LB", "EG", "MA", "DZ", "LY", "SA"),
        _spellings(
            "Mohammed|محمد, Muhammad|محمد, Mohamed|محمد, Ahmed|أحمد, Ahmad|أحمد, Youssef|يوسف, Khalid|خالد, "
            "Hassan|حسن, Hussein|حسين, Ibrahim|إبراهيم, Mustafa|مصطفى, Tariq|طارق, Karim|كريم, Samir|سمير, "
            "Fatima|فاطمة, Amina|أمينة, Layla|ليلى, Nour|نور, Rania|رانيا, Bilal|بلال, Hamza|حمزة, "
            "Walid|وليد, Faisal|فيصل, Abdullah|عبدالله, Salim|سليم, Yasmin|ياسمين, Mariam|مريم, Zainab|زينب"
        ),
        _spellings(
            "Al-Rashid|الرشيد, Haddad|حداد, Mansour|منصور, Nasser|ناصر, Saleh|صالح, Hamdan|حمدان, "
            "Khoury|خوري, Darwish|درويش, Al-Masri|المصري, Qasim|قاسم, Al-Hashimi|الهاشمي, Barakat|بركات, "
            "Suleiman|سليمان, Al-Jabouri|الجبوري, Othman|عثمان, Al-Amin|الأمين, Abboud|عبود, Khalil|خليل, "
            "Jaber|جابر, Al-Obeidi|العبيدي, Sabbagh|صباغ, Farouk|فاروق, Al-Tamimi|التميمي, Najjar|نجار"
        ),
        ("i", "awi", "ani", "oun"),
    ),
    Culture(
        "east-slavic", 11, "Cyrl", ("UA", "RU", "BY", "MD", "KZ"),
        _spellings(
            "Dmitry|Дмитрий, Sergei|Сергей, Oleg|Олег, Ivan|Иван, Andriy|Андрій, Oleksandr|Олександр, "
            "Yevgeny|Евгений, Vladimir|Владимир, Mikhail|Михаил, Olena|Олена, Natalia|Наталья, "
            "Tatiana|Татьяна, Iryna|Ірина, Maksym|Максим, Artem|Артём, Yulia|Юлия, Nikolai|Николай, "
            "Pavel|Павел, Aleksei|Алексей, Svetlana|Светлана, Bohdan|Богдан, Taras|Тарас, Ruslan|Руслан, "
            "Viktor|Виктор"
        ),
        _spellings(
            "Ivanov|Иванов, Petrov|Петров, Sokolov|Соколов, Popov|Попов, Morozov|Морозов, Volkov|Волков, "
            "Kovalenko|Коваленко, Shevchenko|Шевченко, Bondarenko|Бондаренко, Tkachenko|Ткаченко, "
            "Kravchenko|Кравченко, Melnyk|Мельник, Lebedev|Лебедев, Novikov|Новиков, Fedorov|Фёдоров, "
            "Pavlenko|Павленко, Smirnov|Смирнов, Kuznetsov|Кузнецов, Vasiliev|Васильев, Zaitsev|Зайцев, "
            "Marchenko|Марченко, Rudenko|Руденко, Savchenko|Савченко, Moroz|Мороз"
        ),
        ("ov", "enko", "uk", "in", "sky", "ovich"),
    ),
    Culture(
        "greek", 4, "Grek", ("GR", "CY"),
        _spellings(
            "Nikos|Νίκος, Giorgos|Γιώργος, Dimitris|Δημήτρης, Kostas|Κώστας, Ioannis|Ιωάννης, "
            "Eleni|Ελένη, Maria|Μαρία, Sofia|Σοφία, Panagiotis|Παναγιώτης, Vasilis|Βασίλης, "
            "Christos|Χρήστος, Katerina|Κατερίνα, Spyros|Σπύρος, Angeliki|Αγγελική"
        ),
        _spellings(
            "Papadopoulos|Παπαδόπουλος, Georgiou|Γεωργίου, Nikolaidis|Νικολαΐδης, "
            "Konstantinou|Κωνσταντίνου, Papageorgiou|Παπαγεωργίου, Vlachos|Βλάχος, Oikonomou|Οικονόμου, "
            "Makris|Μακρής, Antoniou|Αντωνίου, Dimitriou|Δημητρίου, Pappas|Παππάς, Alexiou|Αλεξίου, "
            "Karagiannis|Καραγιάννης, Theodorou|Θεοδώρου"
        ),
        ("opoulos", "idis", "akis", "ou"),
    ),
    Culture(
        "turkish", 6, "Latn", ("TR", "DE", "NL", "CY"),
        _spellings(
            "Mehmet, Mustafa, Ahmet, Emre, Burak, Murat, Hakan, Ayşe, Zeynep, Elif, Fatma, Hüseyin, Yusuf, "
            "Kemal, Serkan, Cem, Ömer, Gökhan, Selin, Deniz"
        ),
        _spellings(
            "Yılmaz, Kaya, Demir, Şahin, Çelik, Aydın, Öztürk, Arslan, Doğan, Kılıç, Aslan, Koç, Kurt, "
            "Özdemir, Polat, Erdoğan, Yıldız, Güler"
        ),
        ("oğlu", "er", "can", "türk"),
    ),
    Culture(
        "hispanic", 14, "Latn", ("MX", "CO", "VE", "ES", "AR", "PE", "EC", "GT", "HN"),
        _spellings(
            "José, Juan, Carlos, Luis, Miguel, Jorge, Alejandro, Fernando, Ricardo, María, Ana, Gabriela, "
            "Daniela, Valentina, Camila, Diego, Javier, Andrés, Sofía, Lucía, Pedro, Raúl, Sergio, Francisco"
        ),
        _spellings(
            "García, Rodríguez, Martínez, López, González, Hernández, Pérez, Sánchez, Ramírez, Torres, "
            "Flores, Díaz, Vargas, Castillo, Moreno, Rojas, Gutiérrez, Mendoza, Ortiz, Cruz, Morales, "
            "Jiménez, Ruiz, Aguilar, Medina, Castro"
        ),
        ("ez", "ado", "ero", "illa", "eda"),
    ),
    Culture(
        "lusophone", 7, "Latn", ("BR", "PT", "AO", "MZ"),
        _spellings(
            "João, Pedro, Lucas, Gabriel, Rafael, Mateus, Ana, Juliana, Beatriz, Larissa, Thiago, Bruno, "
            "Felipe, Fernanda, Camila, Rodrigo"
        ),
        _spellings(
            "Silva, Santos, Oliveira, Souza, Pereira, Costa, Rodrigues, Almeida, Nascimento, Lima, Carvalho, "
            "Ferreira, Araújo, Ribeiro, Gomes, Martins, Barbosa, Rocha"
        ),
        ("eira", "inho", "ão", "es"),
    ),
    Culture(
        "african", 10, "Latn", ("NG", "KE", "ZA", "GH", "CM", "UG"),
        _spellings(
            "Chinedu, Emeka, Oluwaseun, Babajide, Ngozi, Chiamaka, Ifeanyi, Tunde, Aisha, Abubakar, "
            "Thandiwe, Sipho, Themba, Kwame, Wanjiru, Otieno, Kofi, Ama, Adebayo, Folake, Nnamdi, "
            "Zanele, Musa, Halima"
        ),
        _spellings(
            "Okafor, Adeyemi, Okonkwo, Eze, Bello, Ibrahim, Nkosi, Dlamini, Ndlovu, Mensah, Ochieng, Kamau, "
            "Mwangi, Odhiambo, Balogun, Oyelaran, Nwosu, Obi, Mahlangu, Boateng, Owusu, Abdullahi, Danjuma"
        ),
        ("wu", "ola", "eke", "ani", "ah"),
    ),
    Culture(
        "south-asian", 9, "Deva", ("IN", "NP"),
        _spellings(
            "Rahul|राहुल, Amit|अमित, Sanjay|संजय, Vikram|विक्रम, Priya|प्रिया, Anjali|अंजलि, Rajesh|राजेश, "
            "Suresh|सुरेश, Deepak|दीपक, Pooja|पूजा, Arjun|अर्जुन, Neha|नेहा, Ravi|रवि, Sunita|सुनीता, "
            "Manoj|मनोज, Kavita|कविता"
        ),
        _spellings(
            "Sharma|शर्मा, Patel|पटेल, Singh|सिंह, Gupta|गुप्ता, Kumar|कुमार, Verma|वर्मा, Yadav|यादव, "
            "Joshi|जोशी, Mehta|मेहता, Mishra|मिश्रा, Chauhan|चौहान, Pandey|पांडे, Das|दास, Reddy, Nair, Iyer"
        ),
        ("wal", "kar", "ani", "endra"),
    ),
    Culture(
        "filipino", 4, "Latn", ("PH",),
        _spellings(
            "Jose, Mark, John Paul, Angelica, Maricel, Jericho, Rodel, Jonathan, Kristine, Mary Grace, "
            "Ramon, Edgardo"
        ),
        _spellings(
            "Santos, Reyes, Cruz, Bautista, Ocampo, Garcia, Mendoza, Dela Cruz, Villanueva, Aquino, Ramos, "
            "Castillo, Navarro, Soriano"
        ),
        ("an", "ino", "ez"),
    ),
    Culture(
        "chinese", 4, "Hani", ("CN", "TW", "SG", "MY"),
        _spellings(
            "Wei|伟, Fang|芳, Jie|杰, Min|敏, Jing|静, Lei|磊, Yan|燕, Hao|浩, Qiang|强, Li|丽, "
            "Jun|军, Xin|欣, Yong|勇, Ping|平, Tao|涛, Hui|辉"
        ),
        _spellings(
            "Wang|王, Li|李, Zhang|张, Liu|刘, Chen|陈, Yang|杨, Huang|黄, Zhao|赵, Wu|吴, Zhou|周, Xu|徐, "
            "Sun|孙, Ma|马, Zhu|朱, Hu|胡, Guo|郭"
        ),
        (),
        family_first=True,
    ),
    Culture(
        "european", 10, "Latn", ("IT", "FR", "DE", "PL", "RO", "NL", "BE", "AT"),
        _spellings(
            "Giulia, Marco, Luca, Francesca, Alessandro, Matteo, Jean, Pierre, Camille, Julien, Thomas, "
            "Lukas, Anna, Katarzyna, Piotr, Tomasz, Andrei, Ioana, Mihai, Jan, Pieter, Sanne, Stefan, Laura, "
            "Nicolas, Sophie"
        ),
        _spellings(
            "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Martin, Bernard, Dubois, Lefebvre, Müller, "
            "Schmidt, Schneider, Fischer, Nowak, Kowalski, Wiśniewski, Wójcik, Popescu, Ionescu, Dumitru, "
            "de Vries, Jansen, Bakker, Visser, Moreau, Ricci, Weber"
        ),
        ("ini", "escu", "ski", "mann", "sen", "eau"),
    ),
)  # fmt: skip
ONSETS = "b d g k l m n p r s t v z br dr gr kr pr st tr sh ch kh zh".split()
NUCLEI = "a e i o u a e i o ai ei ou ia".split()
CODAS = ["", "", "", "", "n", "r", "s", "l", "k", "m", "t"]
SYNTHETIC_SURNAME = 0.45  # share of made-up surnames: the long tail of the name-token index
SYNTHETIC_GIVEN = 0.10


@dataclass(frozen=True)
class Planted:
    """A person several agencies recorded (in Latin spellings), queried in the native script."""

    stored: tuple[str, ...]
    native: str
    script: str


PLANTED = (
    Planted(("Yevgeny Nazarbekov", "Evgeny Nazarbekov", "Yevgeniy Nazarbekov"), "Евгений Назарбеков", "Cyrl"),
    Planted(("Mohammed Al-Tikriti", "Muhammad al-Tikriti", "Mohamed Al Tikriti"), "محمد التكريتي", "Arab"),
    Planted(("Giorgos Karamanlis", "Georgios Karamanlis", "George Karamanlis"), "Γιώργος Καραμανλής", "Grek"),
    Planted(("Rajesh Malhotra", "Rajesh Kumar Malhotra"), "राजेश मल्होत्रा", "Deva"),
    Planted(("Hassan Al-Zubaidi", "Hasan al-Zubaydi"), "حسن الزبيدي", "Arab"),
    Planted(
        ("Oleksandr Kovalchuk", "Aleksandr Kovalchuk", "Olexandr Kovalchuk"), "Олександр Ковальчук", "Cyrl"
    ),
)
PLANTED_EVERY = 1000  # suspect i is planted person i % 1000 when that is below len(PLANTED)
# Names nobody in the data has: rare given names and surnames, and common given names with rare surnames.
RARE_GIVEN = (
    "Hendrik Siobhan Torbjørn Aurelio Wojciech Eero Bolat Kealoha Gwenaëlle Leopold Ingrid Tadeusz".split()
)
RARE_SURNAMES = (
    "Vanderstraeten Featherstonehaugh Kvalheim Brzęczyszczykiewicz Häkkinen Zhaksylykov Quintanilla "
    "Wittgenfeld Thorvaldsdóttir Oyelowo-Adeyinka Makoa Ní-Fhlaithbheartaigh"
).split()
COMMON_GIVEN = "Mohammed María Giorgos Yevgeny Carlos Dmitry Mehmet Chinedu Rahul João".split()


class NameMaker:
    """A suspect's names, drawn from the cultures by weight."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.weights = [culture.weight for culture in CULTURES]

    def culture(self) -> Culture:
        culture: Culture = self.rng.choices(CULTURES, weights=self.weights)[0]
        return culture

    def made_up(self, suffixes: tuple[str, ...], syllables: tuple[int, int]) -> str:
        rng = self.rng
        word = "".join(
            rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS)
            for _ in range(rng.randint(*syllables))
        )
        if suffixes and rng.random() < 0.6:
            word += rng.choice(suffixes)
        return word.capitalize()

    def names(self, culture: Culture) -> list[dict[str, Any]]:
        """A suspect's names: a primary one, perhaps a native-script alias and a variant."""
        rng = self.rng
        first, last = rng.choice(culture.firsts), rng.choice(culture.lasts)
        if culture.name != "chinese" and rng.random() < SYNTHETIC_SURNAME:
            last = (self.made_up(culture.suffixes, (2, 3)), None)
        if rng.random() < SYNTHETIC_GIVEN:
            first = (self.made_up((), (2, 2)), None)
        parts = [first, last]
        if culture.name in ("hispanic", "lusophone") and rng.random() < 0.35:
            parts.append(rng.choice(culture.lasts))  # a second surname
        elif culture.name not in ("chinese", "filipino") and rng.random() < 0.08:
            parts.insert(1, rng.choice(culture.firsts))  # a middle name
        if culture.family_first:
            latin = " ".join(p[0] for p in [last, first])
            native = last[1] + first[1] if last[1] and first[1] else None
        elif culture.name == "app.demo":  # as app.demo writes it: the surname alone, in its script
            latin, native = " ".join(p[0] for p in parts), last[1]
        else:
            latin = " ".join(p[0] for p in parts)
            natives = [p[1] for p in parts]
            native = " ".join(n for n in natives if n) if all(natives) else None
        script = OTHER_SCRIPT[last[0]][1] if culture.name == "app.demo" and native else culture.script
        names: list[dict[str, Any]] = [{"full_name": latin, "script": "Latn"}]
        draw = rng.random()
        if native and draw < 0.3:
            names = [
                {"full_name": native, "script": script},
                {"full_name": latin, "script": "Latn", "alias": True},
            ]
        elif native and draw < 0.65:
            names.append({"full_name": native, "script": script, "alias": True})
        if rng.random() < 0.06:  # known under another given name
            other = self.made_up((), (2, 2)) if rng.random() < 0.5 else rng.choice(culture.firsts)[0]
            names.append({"full_name": f"{other} {last[0]}", "script": "Latn", "alias": True})
        return names
