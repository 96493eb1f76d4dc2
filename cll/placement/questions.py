"""The placement test's questions: one bank per language taught, staged from A1 to C2.

A data module. Each stage (one CEFR level) has a short reading text with two questions about it
and two grammar or vocabulary questions, written in the language being tested. ``answer`` is
the index of the correct choice: it stays on the server (the pages get ``PublicQuestion``s from
cll/placement/selectors.py, without it), and answers are scored in cll/placement/services.py.

Adding a language is a data change: write its bank below (six stages in ``LEVELS`` order, the
same shape) and register it in ``BANKS`` under its catalogue code (courses.Language.code).
The checks in cll/placement/tests/test_questions.py keep every bank well formed.
"""

# ruff: noqa: RUF001 -- the texts use typographic apostrophes and quotation marks.

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("A1", "A2", "B1", "B2", "C1", "C2")

READING = "reading"
GRAMMAR = "grammar"
VOCABULARY = "vocabulary"


@dataclass(frozen=True)
class Question:
    prompt: str
    choices: tuple[str, ...]
    # Index of the correct choice in ``choices``: never sent to the browser.
    answer: int
    skill: str = GRAMMAR


@dataclass(frozen=True)
class Stage:
    level: str
    # The reading text its ``READING`` questions are about.
    text: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Bank:
    language: str
    stages: tuple[Stage, ...]


def _q(prompt: str, choices: list[str], answer: int, skill: str = GRAMMAR) -> Question:
    return Question(prompt, tuple(choices), answer, skill)


def _r(prompt: str, choices: list[str], answer: int) -> Question:
    return _q(prompt, choices, answer, READING)


def _v(prompt: str, choices: list[str], answer: int) -> Question:
    return _q(prompt, choices, answer, VOCABULARY)


ENGLISH = Bank(
    "en",
    (
        Stage(
            "A1",
            "Hi! I’m Tom. I’m 25 and I live in Leuven with my sister. I work in a bakery. "
            "I start work at six o’clock in the morning. On Sundays I play football with my "
            "friends.",
            (
                _r(
                    "Where does Tom live?",
                    ["In Brussels", "In Leuven", "In a bakery", "With his friends"],
                    1,
                ),
                _r(
                    "What does Tom do on Sundays?",
                    [
                        "He works in a bakery.",
                        "He visits his sister.",
                        "He plays football.",
                        "He starts work at six.",
                    ],
                    2,
                ),
                _q("My parents ___ teachers.", ["is", "am", "are", "be"], 2),
                _q("___ you speak French?", ["Do", "Does", "Are", "Is"], 0),
            ),
        ),
        Stage(
            "A2",
            "Dear Anna, thank you for your e-mail. Last weekend I went to the coast with my "
            "family. The weather was cold, so we didn’t swim, but we walked on the beach and ate "
            "fish in a small restaurant. Next month I’m going to visit you in Ghent. Love, Marie",
            (
                _r(
                    "What did Marie’s family do at the coast?",
                    [
                        "They swam in the sea.",
                        "They walked on the beach.",
                        "They visited Anna.",
                        "They cooked fish at home.",
                    ],
                    1,
                ),
                _r(
                    "When will Marie see Anna?",
                    ["Last weekend", "Next weekend", "Next month", "Next year"],
                    2,
                ),
                _q(
                    "Yesterday I ___ my keys at the office.",
                    ["forget", "forgot", "forgotten", "am forgetting"],
                    1,
                ),
                _q(
                    "This bag is ___ than that one.",
                    ["cheaper", "more cheap", "cheapest", "the cheap"],
                    0,
                ),
            ),
        ),
        Stage(
            "B1",
            "From 1 March, the library is changing its opening hours. On weekdays it will open "
            "at 10 a.m. instead of 9 a.m., but on Thursdays it will stay open until 8 p.m. Books "
            "can still be returned at any time using the box next to the main entrance. Members "
            "who borrowed books before 1 March will not have to pay any late fees during the "
            "first two weeks.",
            (
                _r(
                    "What changes on weekdays?",
                    [
                        "The library closes earlier.",
                        "The library opens later.",
                        "The library is closed on Thursdays.",
                        "Books can no longer be returned.",
                    ],
                    1,
                ),
                _r(
                    "Who will not pay late fees?",
                    [
                        "Everyone who comes on Thursdays",
                        "New members",
                        "People who use the box",
                        "Members who borrowed books before 1 March",
                    ],
                    3,
                ),
                _q(
                    "If it ___ tomorrow, we will stay at home.",
                    ["will rain", "rained", "rains", "would rain"],
                    2,
                ),
                _q("I have lived in this town ___ 2015.", ["for", "since", "from", "during"], 1),
            ),
        ),
        Stage(
            "B2",
            "Working from home was once seen as a privilege reserved for a few senior managers. "
            "Today, many companies offer it to most of their staff, claiming that it boosts "
            "productivity. Critics, however, point out that the benefits are unevenly shared: "
            "people with small flats or young children often find it harder to concentrate, "
            "and managers notice less easily who needs support. The debate, it seems, is less "
            "about where people work than about how work is organised.",
            (
                _r(
                    "According to the text, who may find working from home difficult?",
                    [
                        "Senior managers",
                        "Companies that want to be productive",
                        "People with small flats or young children",
                        "Critics of the idea",
                    ],
                    2,
                ),
                _r(
                    "What is the writer’s main point?",
                    [
                        "Working from home should be banned.",
                        "The real issue is how work is organised.",
                        "Only managers should work from home.",
                        "Everyone is more productive at home.",
                    ],
                    1,
                ),
                _q(
                    "By the time we arrived, the film ___.",
                    ["already started", "has already started", "had already started", "starts"],
                    2,
                ),
                _q(
                    "She wishes she ___ more time to travel.",
                    ["had", "has", "will have", "is having"],
                    0,
                ),
            ),
        ),
        Stage(
            "C1",
            "Few inventions have been as quietly transformative as the shipping container. "
            "Before its adoption in the 1950s, loading a ship could take days and required "
            "armies of dockworkers; theft was rife and costs were unpredictable. "
            "Standardisation changed all that, yet its triumph was far from inevitable: ports "
            "had to be rebuilt, unions resisted, and shipping lines balked at the investment. "
            "That the box eventually prevailed owes as much to stubborn entrepreneurs as to any "
            "inherent superiority of the idea.",
            (
                _r(
                    "What does the writer suggest about the container’s success?",
                    [
                        "It was certain from the start.",
                        "It depended partly on determined individuals.",
                        "It was welcomed by the unions.",
                        "It made ports unnecessary.",
                    ],
                    1,
                ),
                _r(
                    "In the text, “rife” is closest in meaning to:",
                    ["rare", "punished", "widespread", "expensive"],
                    2,
                ),
                _q(
                    "Not until the last guest had left ___ relax.",
                    ["we could", "we did", "could we", "had we"],
                    2,
                ),
                _v(
                    "The new policy has come ___ heavy criticism from teachers.",
                    ["under", "across", "into", "over"],
                    0,
                ),
            ),
        ),
        Stage(
            "C2",
            "The biographer’s task is an uneasy one. Too much deference and the portrait curdles "
            "into hagiography; too much suspicion and it becomes a case for the prosecution. The "
            "best practitioners neither flatter nor indict, but let the contradictions of their "
            "subject stand, trusting the reader to tolerate ambiguity rather than demand a "
            "verdict.",
            (
                _r(
                    "According to the writer, good biographers:",
                    [
                        "judge their subject severely.",
                        "avoid mentioning contradictions.",
                        "leave their subject’s contradictions unresolved.",
                        "write mainly to praise their subject.",
                    ],
                    2,
                ),
                _r(
                    "“Curdles into hagiography” suggests that the portrait becomes:",
                    [
                        "excessively admiring",
                        "deliberately hostile",
                        "historically inaccurate",
                        "too short",
                    ],
                    0,
                ),
                _q(
                    "Had the board heeded the warnings, the crisis ___.",
                    [
                        "would be avoided",
                        "would have been avoided",
                        "had been avoided",
                        "will have been avoided",
                    ],
                    1,
                ),
                _v(
                    "His explanation was so ___ that nobody could follow it.",
                    ["lucid", "concise", "convoluted", "candid"],
                    2,
                ),
            ),
        ),
    ),
)

DUTCH = Bank(
    "nl",
    (
        Stage(
            "A1",
            "Hallo! Ik ben Sara. Ik woon in Gent met mijn broer. Ik werk in een winkel. Ik "
            "begin om negen uur. Op zaterdag fiets ik met mijn vrienden.",
            (
                _r(
                    "Waar woont Sara?",
                    ["In Brugge", "In Gent", "In een winkel", "Bij haar vrienden"],
                    1,
                ),
                _r(
                    "Wat doet Sara op zaterdag?",
                    [
                        "Ze werkt in een winkel.",
                        "Ze bezoekt haar broer.",
                        "Ze fietst met haar vrienden.",
                        "Ze begint om negen uur.",
                    ],
                    2,
                ),
                _q("Wij ___ uit België.", ["kom", "komt", "komen", "gekomen"], 2),
                _q("___ huis is groot.", ["De", "Het", "Den", "Der"], 1),
            ),
        ),
        Stage(
            "A2",
            "Beste Tom, bedankt voor je mail. Vorig weekend zijn we naar de Ardennen geweest. "
            "Het regende veel, dus we hebben niet gewandeld, maar we hebben een oud kasteel "
            "bezocht. Volgende maand kom ik naar Antwerpen. Dan drinken we samen koffie! "
            "Groetjes, Lies",
            (
                _r(
                    "Waarom hebben ze niet gewandeld?",
                    [
                        "Omdat het veel regende.",
                        "Omdat ze moe waren.",
                        "Omdat het kasteel gesloten was.",
                        "Omdat ze in Antwerpen waren.",
                    ],
                    0,
                ),
                _r(
                    "Wat doet Lies volgende maand?",
                    [
                        "Ze gaat naar de Ardennen.",
                        "Ze bezoekt een kasteel.",
                        "Ze komt naar Antwerpen.",
                        "Ze gaat wandelen.",
                    ],
                    2,
                ),
                _q(
                    "Gisteren ___ ik naar de bioscoop gegaan.",
                    ["heb", "ben", "was", "ga"],
                    1,
                ),
                _q(
                    "Mijn auto is ___ dan jouw auto.",
                    ["oud", "meer oud", "ouder", "oudst"],
                    2,
                ),
            ),
        ),
        Stage(
            "B1",
            "Vanaf 1 maart verandert de bibliotheek haar openingsuren. Op weekdagen gaat ze pas "
            "om tien uur open in plaats van om negen uur, maar op donderdag blijft ze open tot "
            "acht uur ’s avonds. Boeken kunnen nog altijd op elk moment worden teruggebracht via "
            "de bus naast de hoofdingang. Leden die vóór 1 maart boeken hebben ontleend, hoeven "
            "de eerste twee weken geen boete te betalen.",
            (
                _r(
                    "Wat verandert er op weekdagen?",
                    [
                        "De bibliotheek sluit vroeger.",
                        "De bibliotheek gaat later open.",
                        "De bibliotheek is dicht op donderdag.",
                        "Je kunt geen boeken meer terugbrengen.",
                    ],
                    1,
                ),
                _r(
                    "Wie hoeft geen boete te betalen?",
                    [
                        "Iedereen die op donderdag komt",
                        "Wie boeken in de bus steekt",
                        "Nieuwe leden",
                        "Leden die vóór 1 maart boeken hebben ontleend",
                    ],
                    3,
                ),
                _q(
                    "Ik weet niet ___.",
                    [
                        "of hij komt morgen",
                        "of komt hij morgen",
                        "of hij morgen komt",
                        "hij komt morgen of",
                    ],
                    2,
                ),
                _q(
                    "Als ik meer tijd had, ___ ik vaker sporten.",
                    ["zal", "zou", "word", "ben"],
                    1,
                ),
            ),
        ),
        Stage(
            "B2",
            "Thuiswerken werd vroeger gezien als een voorrecht voor enkele leidinggevenden. "
            "Vandaag bieden veel bedrijven het aan bijna al hun werknemers aan, omdat het de "
            "productiviteit zou verhogen. Critici wijzen er echter op dat niet iedereen er "
            "evenveel baat bij heeft: wie klein woont of jonge kinderen heeft, kan zich vaak "
            "moeilijker concentreren, en leidinggevenden merken minder snel wie steun nodig "
            "heeft. Het debat gaat dus minder over wáár mensen werken dan over hoe het werk "
            "georganiseerd is.",
            (
                _r(
                    "Wie heeft volgens de tekst meer moeite met thuiswerken?",
                    [
                        "Leidinggevenden",
                        "Bedrijven die productiever willen zijn",
                        "Mensen die klein wonen of jonge kinderen hebben",
                        "De critici",
                    ],
                    2,
                ),
                _r(
                    "Wat is de hoofdgedachte van de tekst?",
                    [
                        "Thuiswerken moet verboden worden.",
                        "Het gaat vooral om de organisatie van het werk.",
                        "Alleen leidinggevenden mogen thuiswerken.",
                        "Thuis is iedereen productiever.",
                    ],
                    1,
                ),
                _q(
                    "Toen we aankwamen, ___ de film al begonnen.",
                    ["is", "was", "werd", "had"],
                    1,
                ),
                _v(
                    "Hij was ziek, ___ ging hij toch werken.",
                    ["maar", "omdat", "want", "dus"],
                    0,
                ),
            ),
        ),
        Stage(
            "C1",
            "Weinig uitvindingen hebben de wereld zo geruisloos veranderd als de container. "
            "Vóór de invoering ervan in de jaren vijftig kon het laden van een schip dagen duren "
            "en waren er legers havenarbeiders voor nodig; diefstal was schering en inslag en de "
            "kosten waren onvoorspelbaar. De standaardisering maakte daar een einde aan, maar "
            "haar succes lag allerminst voor de hand: havens moesten worden heringericht, "
            "vakbonden verzetten zich en rederijen deinsden terug voor de investering. Dat de "
            "doos uiteindelijk won, is evenzeer te danken aan koppige ondernemers als aan de "
            "kwaliteit van het idee zelf.",
            (
                _r(
                    "Wat suggereert de schrijver over het succes van de container?",
                    [
                        "Het stond van bij het begin vast.",
                        "Het hing mee af van vastberaden ondernemers.",
                        "De vakbonden waren er meteen voor gewonnen.",
                        "Havens werden er overbodig door.",
                    ],
                    1,
                ),
                _r(
                    "“Schering en inslag” betekent hier:",
                    ["zeldzaam", "streng bestraft", "heel gewoon", "duur"],
                    2,
                ),
                _q(
                    "Pas toen de laatste gast vertrokken was, ___ ontspannen.",
                    ["we konden ons", "konden we ons", "we ons konden", "ons konden we"],
                    1,
                ),
                _v(
                    "Het nieuwe beleid kreeg zware kritiek te ___.",
                    ["doorstaan van", "lijden aan", "verdragen om", "verduren"],
                    3,
                ),
            ),
        ),
        Stage(
            "C2",
            "De biograaf heeft een ondankbare taak. Te veel eerbied en het portret verzandt in "
            "heiligenverering; te veel argwaan en het wordt een requisitoir. De besten vleien "
            "noch veroordelen: ze laten de tegenstrijdigheden van hun onderwerp bestaan en "
            "vertrouwen erop dat de lezer dubbelzinnigheid verdraagt in plaats van een oordeel "
            "te eisen.",
            (
                _r(
                    "Wat doen goede biografen volgens de schrijver?",
                    [
                        "Ze oordelen streng over hun onderwerp.",
                        "Ze zwijgen over tegenstrijdigheden.",
                        "Ze laten de tegenstrijdigheden van hun onderwerp onopgelost.",
                        "Ze schrijven vooral om hun onderwerp te prijzen.",
                    ],
                    2,
                ),
                _r(
                    "“Verzandt in heiligenverering” wil zeggen dat het portret:",
                    [
                        "overdreven bewonderend wordt",
                        "bewust vijandig wordt",
                        "historisch onjuist wordt",
                        "te kort wordt",
                    ],
                    0,
                ),
                _q(
                    "Had de raad van bestuur naar de waarschuwingen geluisterd, dan ___ de crisis "
                    "vermeden.",
                    ["werd", "was", "zou zijn", "had"],
                    1,
                ),
                _v(
                    "Zijn uitleg was zo ___ dat niemand hem kon volgen.",
                    ["helder", "bondig", "omslachtig", "openhartig"],
                    2,
                ),
            ),
        ),
    ),
)

FRENCH = Bank(
    "fr",
    (
        Stage(
            "A1",
            "Bonjour ! Je m’appelle Léa. J’ai 22 ans et j’habite à Namur avec mon frère. Je "
            "travaille dans une boulangerie. Je commence à six heures du matin. Le dimanche, je "
            "joue au tennis avec mes amies.",
            (
                _r(
                    "Où habite Léa ?",
                    ["À Liège", "À Namur", "Dans une boulangerie", "Chez ses amies"],
                    1,
                ),
                _r(
                    "Que fait Léa le dimanche ?",
                    [
                        "Elle travaille à la boulangerie.",
                        "Elle rend visite à son frère.",
                        "Elle joue au tennis.",
                        "Elle commence à six heures.",
                    ],
                    2,
                ),
                _q("Nous ___ belges.", ["est", "êtes", "sont", "sommes"], 3),
                _q("J’aime ___ chocolat.", ["le", "la", "les", "une"], 0),
            ),
        ),
        Stage(
            "A2",
            "Chère Julie, merci pour ton message. Le week-end dernier, nous sommes allés à la "
            "mer avec les enfants. Il faisait froid, alors nous ne nous sommes pas baignés, mais "
            "nous avons fait une longue promenade sur la plage et nous avons mangé des moules "
            "dans un petit restaurant. Le mois prochain, je viendrai te voir à Bruxelles. "
            "Bises, Claire",
            (
                _r(
                    "Pourquoi ne se sont-ils pas baignés ?",
                    [
                        "Parce qu’il faisait froid.",
                        "Parce que les enfants étaient malades.",
                        "Parce que la plage était fermée.",
                        "Parce qu’ils étaient à Bruxelles.",
                    ],
                    0,
                ),
                _r(
                    "Que fera Claire le mois prochain ?",
                    [
                        "Elle ira à la mer.",
                        "Elle mangera des moules.",
                        "Elle rendra visite à Julie.",
                        "Elle se baignera.",
                    ],
                    2,
                ),
                _q(
                    "Hier, nous ___ au cinéma.",
                    ["allons", "sommes allés", "avons allé", "irons"],
                    1,
                ),
                _q(
                    "Cette robe est ___ que l’autre.",
                    ["plus beau", "la plus belle", "plus belle", "bellement"],
                    2,
                ),
            ),
        ),
        Stage(
            "B1",
            "À partir du 1er mars, la bibliothèque change ses horaires. En semaine, elle ouvrira "
            "à 10 heures au lieu de 9 heures, mais le jeudi, elle restera ouverte jusqu’à "
            "20 heures. Les livres pourront toujours être rendus à tout moment grâce à la boîte "
            "située à côté de l’entrée principale. Les membres qui ont emprunté des livres avant "
            "le 1er mars ne paieront pas d’amende pendant les deux premières semaines.",
            (
                _r(
                    "Qu’est-ce qui change en semaine ?",
                    [
                        "La bibliothèque ferme plus tôt.",
                        "La bibliothèque ouvre plus tard.",
                        "La bibliothèque est fermée le jeudi.",
                        "On ne peut plus rendre de livres.",
                    ],
                    1,
                ),
                _r(
                    "Qui ne paiera pas d’amende ?",
                    [
                        "Tous ceux qui viennent le jeudi",
                        "Les nouveaux membres",
                        "Ceux qui utilisent la boîte",
                        "Les membres qui ont emprunté des livres avant le 1er mars",
                    ],
                    3,
                ),
                _q(
                    "Si j’avais plus de temps, je ___ du sport.",
                    ["fais", "ferai", "ferais", "faisais"],
                    2,
                ),
                _q(
                    "Je cherche un appartement ___ soit proche de la gare.",
                    ["qui", "que", "dont", "où"],
                    0,
                ),
            ),
        ),
        Stage(
            "B2",
            "Le télétravail était autrefois considéré comme un privilège réservé à quelques "
            "cadres. Aujourd’hui, de nombreuses entreprises le proposent à la plupart de leurs "
            "salariés, en affirmant qu’il améliore la productivité. Les critiques font toutefois "
            "remarquer que ses avantages sont inégalement répartis : ceux qui vivent dans un "
            "petit logement ou ont de jeunes enfants ont souvent plus de mal à se concentrer, et "
            "les responsables repèrent moins facilement qui a besoin d’aide. Le débat porte donc "
            "moins sur le lieu de travail que sur la manière dont le travail est organisé.",
            (
                _r(
                    "Selon le texte, qui a plus de mal à télétravailler ?",
                    [
                        "Les cadres",
                        "Les entreprises qui veulent être productives",
                        "Les personnes qui vivent dans un petit logement ou ont de jeunes enfants",
                        "Les critiques",
                    ],
                    2,
                ),
                _r(
                    "Quelle est l’idée principale du texte ?",
                    [
                        "Il faut interdire le télétravail.",
                        "La vraie question est l’organisation du travail.",
                        "Seuls les cadres devraient télétravailler.",
                        "On est toujours plus productif chez soi.",
                    ],
                    1,
                ),
                _q(
                    "Bien qu’il ___ malade, il est venu travailler.",
                    ["est", "soit", "était", "sera"],
                    1,
                ),
                _q(
                    "Quand nous sommes arrivés, le film ___ déjà commencé.",
                    ["avait", "a", "aura", "ait"],
                    0,
                ),
            ),
        ),
        Stage(
            "C1",
            "Peu d’inventions ont transformé le monde aussi discrètement que le conteneur. Avant "
            "son adoption dans les années cinquante, charger un navire pouvait prendre des jours "
            "et exigeait des armées de dockers ; les vols étaient monnaie courante et les coûts "
            "imprévisibles. La standardisation a changé la donne, mais son triomphe n’avait rien "
            "d’inéluctable : il a fallu réaménager les ports, les syndicats s’y sont opposés et "
            "les armateurs ont reculé devant l’investissement. Si la boîte a fini par "
            "s’imposer, c’est autant grâce à des entrepreneurs obstinés qu’aux qualités "
            "intrinsèques de l’idée.",
            (
                _r(
                    "Que suggère l’auteur à propos du succès du conteneur ?",
                    [
                        "Il était certain dès le départ.",
                        "Il doit beaucoup à la ténacité de quelques entrepreneurs.",
                        "Les syndicats l’ont immédiatement soutenu.",
                        "Il a rendu les ports inutiles.",
                    ],
                    1,
                ),
                _r(
                    "Dans le texte, « monnaie courante » signifie :",
                    ["rare", "sévèrement puni", "fréquent", "coûteux"],
                    2,
                ),
                _q(
                    "À peine ___ arrivé qu’il a dû repartir.",
                    ["il était", "était-il", "il a", "est-ce qu’il"],
                    1,
                ),
                _v(
                    "La nouvelle réforme a ___ de vives critiques.",
                    ["provoqué de", "causé à", "soulevé par", "suscité"],
                    3,
                ),
            ),
        ),
        Stage(
            "C2",
            "La tâche du biographe est ingrate. Trop de déférence, et le portrait tourne à "
            "l’hagiographie ; trop de soupçon, et il devient un réquisitoire. Les meilleurs ne "
            "flattent ni ne condamnent : ils laissent subsister les contradictions de leur sujet "
            "et font confiance au lecteur pour s’accommoder de l’ambiguïté plutôt que d’exiger "
            "un verdict.",
            (
                _r(
                    "Selon l’auteur, les bons biographes :",
                    [
                        "jugent sévèrement leur sujet.",
                        "passent les contradictions sous silence.",
                        "laissent subsister les contradictions de leur sujet.",
                        "écrivent surtout pour faire l’éloge de leur sujet.",
                    ],
                    2,
                ),
                _r(
                    "« Tourner à l’hagiographie » signifie que le portrait devient :",
                    [
                        "excessivement élogieux",
                        "délibérément hostile",
                        "historiquement inexact",
                        "trop bref",
                    ],
                    0,
                ),
                _q(
                    "S’il avait écouté les avertissements, la crise ___ évitée.",
                    ["serait", "avait été", "aurait été", "sera"],
                    2,
                ),
                _v(
                    "Son explication était si ___ que personne ne put la suivre.",
                    ["limpide", "alambiquée", "concise", "franche"],
                    1,
                ),
            ),
        ),
    ),
)


def _french_spacing(bank: Bank) -> Bank:
    """French typography (a no-break space before ? ! : ; and inside guillemets), written
    with plain spaces above so the texts stay readable in the source."""

    def fix(text: str) -> str:
        for mark in ("?", "!", ":", ";", "»"):
            text = text.replace(f" {mark}", f"\N{NO-BREAK SPACE}{mark}")
        return text.replace("« ", "«\N{NO-BREAK SPACE}")

    return Bank(
        bank.language,
        tuple(
            Stage(
                stage.level,
                fix(stage.text),
                tuple(
                    Question(
                        fix(question.prompt),
                        tuple(fix(choice) for choice in question.choices),
                        question.answer,
                        question.skill,
                    )
                    for question in stage.questions
                ),
            )
            for stage in bank.stages
        ),
    )


# Catalogue language code -> its bank.
BANKS: dict[str, Bank] = {bank.language: bank for bank in (ENGLISH, DUTCH, _french_spacing(FRENCH))}
