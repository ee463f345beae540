"""French lexical knowledge for claims and speakers: reporting verbs with their forms, person and
organisation nouns, pronouns, first-name genders.

The verb forms are generated (regular -er conjugation plus explicit irregular forms) because the
lemmatizer of ``fr_core_news_md`` misses inverted forms (``estime-t-il``) and sometimes tags a verb as
a noun (``L'analyste juge que``); matching the surface form makes the rules independent of that.
"""

from __future__ import annotations

from functools import lru_cache

# Verbs of saying/thinking that introduce reported speech (a que-clause or a quotation).
# Pronominal verbs are written "s'X" / "se X"; multi-word cues ("faire valoir") are in MULTIWORD_CUES.
REPORTING_VERBS = """
abonder accuser acquiescer admettre affirmer ajouter alerter analyser annoncer anticiper
applaudir argumenter arguer assurer attester avancer avertir avouer certifier chiffrer clamer
commenter compléter concéder conclure confier conseiller confirmer considérer constater contester continuer
convenir craindre critiquer croire décrire décrypter déclarer défendre déplorer détailler démentir
demander dénoncer dire écrire enchaîner espérer estimer évaluer évoquer expliquer fustiger garantir glisser
indiquer insister ironiser juger jurer lâcher lancer maintenir marteler menacer mentionner
minimiser noter nier nuancer objecter observer parier parler penser plaider plaisanter poursuivre
préciser prédire prétendre prévenir proclamer promettre pronostiquer protester qualifier raconter
rappeler rapporter réagir recadrer réclamer reconnaître redouter réfuter regretter rejeter relativiser
relater relever remarquer renchérir répéter répliquer répondre reprendre résumer rétorquer révéler
riposter saluer signaler soupçonner souffler souligner soupirer sourire soutenir suggérer supposer
synthétiser témoigner tempérer tonner trancher trouver tweeter
s'agacer s'alarmer s'amuser s'emporter s'étonner s'exclamer s'impatienter s'indigner s'inquiéter
s'interroger se demander se désoler se féliciter se réjouir se souvenir s'écrier s'offusquer
""".split()
# Re-join the pronominal entries ("se demander" was split in two by str.split above).
_joined: list[str] = []
for _w in REPORTING_VERBS:
    if _joined and _joined[-1] == "se":
        _joined[-1] = f"se {_w}"
    else:
        _joined.append(_w)
REPORTING_VERBS = _joined

MULTIWORD_CUES = {
    ("faire", "valoir"): "faire valoir", ("faire", "remarquer"): "faire remarquer",
    ("faire", "savoir"): "faire savoir", ("faire", "observer"): "faire observer",
    ("mettre", "en", "garde"): "mettre en garde", ("laisser", "entendre"): "laisser entendre",
}

# Verbs that introduce a short quoted phrase inside a sentence (« parler de preuves « substantielles » »).
NAMING_VERBS = {"parler", "qualifier", "évoquer", "décrire", "dénoncer", "saluer", "promettre",
                "réclamer", "fustiger", "mentionner", "dire", "appeler", "juger", "estimer"}

# Irregular verbs: forms that the regular -er generator cannot produce.
_IRREGULAR = {
    "dire": "dit disent disait disaient dira diraient dirait dirent disant redit",
    "admettre": "admet admettent admis admettait admettaient admettra admettrait admit",
    "reconnaître": "reconnaît reconnait reconnaissent reconnu reconnue reconnaissait reconnaissaient reconnaîtra reconnaîtrait reconnut",
    "soutenir": "soutient soutiennent soutenu soutenait soutenaient soutiendra soutiendrait soutint",
    "maintenir": "maintient maintiennent maintenu maintenait maintenaient maintiendra maintiendrait",
    "prévenir": "prévient préviennent prévenu prévenait prévenaient préviendra préviendrait prévint",
    "convenir": "convient conviennent convenu convenait convenaient conviendra conviendrait",
    "craindre": "craint craignent craignait craignaient craindra craindrait craignit",
    "écrire": "écrit écrivent écrivait écrivaient écrira écrirait écrivit",
    "décrire": "décrit décrivent décrivait décrivaient décrira décrirait décrivit",
    "répondre": "répond répondent répondu répondait répondaient répondra répondrait répondit",
    "sourire": "sourit sourient souri souriait souriaient sourira sourirait",
    "conclure": "conclut concluent conclu concluait concluaient conclura conclurait",
    "promettre": "promet promettent promis promettait promettaient promettra promettrait promit",
    "prédire": "prédit prédisent prédisait prédisaient prédira prédirait",
    "démentir": "dément démentent démenti démentait démentaient démentira démentirait",
    "avertir": "avertit avertissent averti avertissait avertissaient avertira avertirait",
    "réagir": "réagit réagissent réagi réagissait réagissaient réagira réagirait",
    "croire": "croit croient cru croyait croyaient croira croirait",
    "poursuivre": "poursuit poursuivent poursuivi poursuivait poursuivaient poursuivra poursuivrait",
    "reprendre": "reprend reprennent repris reprenait reprenaient reprendra reprendrait reprit",
    "se souvenir": "souvient souviennent souvenu souvenait souvenaient",
}


def _er_forms(lemma: str) -> set[str]:
    """Third-person and participle forms of a regular -er verb (with é->è / consonant doubling)."""
    stem = lemma[:-2]
    forms = {stem + "é", stem + "ée", stem + "és", stem + "ées", stem + "ait", stem + "aient",
             stem + "a", stem + "èrent", stem + "ant", stem + "era", stem + "eront", stem + "erait",
             stem + "eraient", stem + "ent", stem + "e"}
    # Present/future forms with an open last syllable: répéter -> répète, rejeter -> rejette, lever -> lève.
    for old, new in (("é", "è"), ("e", "è")):
        idx = stem.rfind(old)
        if idx > 0 and idx >= len(stem) - 3 and not any(c in "aeiouéèêy" for c in stem[idx + 1:]):
            alt = stem[:idx] + new + stem[idx + 1:]
            forms |= {alt + "e", alt + "ent"}
            if new == "è" and old == "e":
                forms |= {alt + "era", alt + "erait", alt + "eraient"}
    if stem.endswith(("et", "el")):
        forms |= {stem + stem[-1] + "e", stem + stem[-1] + "ent"}
    if stem.endswith("c"):  # avancer -> avançait, avança
        soft = stem[:-1] + "ç"
        forms |= {soft + "ait", soft + "aient", soft + "a", soft + "ant"}
    if stem.endswith("g"):  # juger -> jugeait, jugea
        forms |= {stem + "eait", stem + "eaient", stem + "ea", stem + "eant"}
    if stem.endswith("y"):  # tutoyer -> tutoie
        forms |= {stem[:-1] + "ie", stem[:-1] + "ient"}
    return forms


def _ir_forms(lemma: str) -> set[str]:
    """Forms of a regular -ir (2nd group) verb: avertir -> avertit, averti, avertissait."""
    stem = lemma[:-2]
    return {stem + "it", stem + "issent", stem + "i", stem + "ie", stem + "issait", stem + "issaient",
            stem + "ira", stem + "irait"}


@lru_cache(maxsize=1)
def verb_forms() -> dict[str, str]:
    """Lower-cased surface form -> cue lemma, for every reporting verb."""
    table: dict[str, str] = {}
    for entry in REPORTING_VERBS:
        lemma = entry.split(" ", 1)[1] if entry.startswith("se ") else entry.removeprefix("s'")
        forms: set[str] = set()
        if entry in _IRREGULAR or lemma in _IRREGULAR:
            forms |= set((_IRREGULAR.get(entry) or _IRREGULAR.get(lemma, "")).split())
        if lemma.endswith("er"):
            forms |= _er_forms(lemma)
        elif lemma.endswith("ir") and lemma not in _IRREGULAR:
            forms |= _ir_forms(lemma)
        elif lemma.endswith("dre") and lemma not in _IRREGULAR:
            stem = lemma[:-2]  # défendre -> défend, défendent, défendu, défendait
            forms |= {stem, stem + "ent", stem + "u", stem + "ue", stem + "ait", stem + "aient", stem + "ra", stem + "rait", stem + "it"}
        for form in forms:
            table.setdefault(form, entry)
    # Some forms are ambiguous with frequent nouns/adjectives; they stay, but `is_cue_token`
    # checks the context (a noun after a determiner is not a verb).
    return table


def cue_of_lemma(lemma: str) -> str | None:
    """The cue for a lemma given by spaCy, if it is a reporting verb."""
    return lemma if lemma in _LEMMAS else None


_LEMMAS = {e.split(" ", 1)[1] if e.startswith("se ") else e.removeprefix("s'") for e in REPORTING_VERBS}
# Bare lemma -> cue entry ("amuser" -> "s'amuser"; "demander" stays "demander", its own entry).
LEMMA_ENTRY: dict[str, str] = {}
for _e in REPORTING_VERBS:
    _bare = _e.split(" ", 1)[1] if _e.startswith("se ") else _e.removeprefix("s'")
    LEMMA_ENTRY.setdefault(_bare, _e)
PRONOMINAL = {e.split(" ", 1)[1] if e.startswith("se ") else e[2:]: e for e in REPORTING_VERBS
              if e.startswith(("s'", "se "))}

AUX_FORMS = {"a", "ont", "avait", "avaient", "aura", "auront", "aurait", "auraient", "eut", "avoir",
             "ayant", "est", "sont", "était", "étaient", "sera", "serait", "s'est", "se"}

SUBJECT_PRONOUNS = {"il": ("Masc", "Sing"), "elle": ("Fem", "Sing"), "ils": ("Masc", "Plur"),
                    "elles": ("Fem", "Plur"), "lui": ("Masc", "Sing"), "eux": ("Masc", "Plur"),
                    "celui-ci": ("Masc", "Sing"), "celle-ci": ("Fem", "Sing"), "on": (None, "Sing")}

# Heads of descriptions that designate a person ("la chercheuse", "le patron d'OpenAI").
PERSON_NOUNS = set("""
analyste associé associée auteur autrice avocat avocate banquier banquière chercheur chercheuse
chef cheffe collègue conseiller conseillère consultant consultante cofondateur cofondatrice
créateur créatrice dirigeant dirigeante directeur directrice député députée développeur
développeuse économiste élu élue enseignant enseignante entrepreneur entrepreneuse
eurodéputé eurodéputée expert experte fondateur fondatrice gérant gérante informaticien
informaticienne ingénieur ingénieure investisseur investisseuse journaliste juriste lexicographe
linguiste magistrat magistrate ministre milliardaire observateur observatrice parlementaire patron
patronne pdg philosophe physicien physicienne porte-parole président présidente professeur
professeure programmeur programmeuse rapporteur rapporteure responsable sénateur sénatrice
spécialiste stratège stratégiste universitaire vice-président vice-présidente viticulteur
viticultrice bouilleur bouilleuse agriculteur agricultrice commissaire diplomate historien
historienne sociologue écologiste élève étudiant étudiante lycéen lycéenne blogueur blogueuse
auditeur auditrice avocat-conseil trader tradeuse régulateur régulatrice ambassadeur ambassadrice
""".split())

# Heads of descriptions that designate an organisation ("l'entreprise", "la start-up chinoise").
ORG_NOUNS = set("""
entreprise société groupe start-up startup jeune-pousse firme laboratoire labo géant éditeur
concepteur conceptrice créateur fabricant agence journal quotidien régulateur administration
gouvernement commission comité autorité gendarme institution maison compagnie plateforme
""".split())

# Documents that speak for their author ("La note", "le mémo", "le rapport").
DOCUMENT_NOUNS = {"note", "mémo", "rapport", "document", "étude", "lettre", "communiqué", "texte",
                  "courrier", "tribune", "article", "enquête", "plainte", "informations", "révélations",
                  "sources", "propos", "déclarations", "chiffres", "calculs", "estimations"}

FEMININE_ENDINGS = ("euse", "rice", "ienne", "ante", "ière", "ère", "ée", "ue", "esse", "eure")

# Common first names and their gender: pronoun resolution needs the gender of people named
# without a gendered description. Names not listed fall back to the ending heuristic.
_FEM_NAMES = """
Agathe Agnès Alice Amandine Amélie Amina Ana Anaïs Andrea Angèle Anne Annie Ariane Aurélie Béatrice
Bérénice Brigitte Camille Carole Caroline Catherine Cécile Céline Chantal Charlotte Chloé Christine
Claire Clara Claudine Clémence Colette Corinne Delphine Diane Dominique Élise Élodie Emma Emmanuelle
Éva Fanny Fatima Florence Françoise Gaëlle Geneviève Hélène Inès Irène Isabelle Jacqueline Jeanne
Joséphine Judith Julia Julie Juliette Justine Karine Laetitia Laura Laure Léa Léna Leïla Lina
Louise Lucie Lydia Madeleine Maëlle Manon Margaux Marguerite Maria Marianne Marie Marine Marion
Martine Mathilde Maud Mélanie Michèle Mireille Monique Morgane Myriam Nadia Nadine Natacha Nathalie
Nicole Noémie Nora Océane Olivia Ophélie Pascale Patricia Pauline Priya Rachel Rebecca Sabine
Salomé Samira Sandrine Sarah Séverine Sofia Solène Sonia Sophie Stéphanie Suzanne Sylvie Valérie
Vanessa Véronique Victoire Virginie Yasmine Zoé Li Mei Yuki Aiko Ingrid Greta Anna Elena Laila
""".split()
_MASC_NAMES = """
Adrien Alain Alexandre Alexis André Antoine Arnaud Arthur Baptiste Bastien Benjamin Benoît Bernard
Bruno Cédric Charles Christian Christophe Claude Clément Cyril Damien Daniel David Denis Didier
Dominique Édouard Emmanuel Éric Étienne Fabien Fabrice Florent Francis François Frédéric Gabriel
Gaël Gaëtan Georges Gérard Gilles Grégoire Guillaume Henri Hervé Hugo Jacques Jean Jean-Baptiste
Jean-Luc Jean-Marc Jean-Pierre Jérémie Jérôme Joël Jonathan Julien Karim Kenji Kevin Kyle Laurent
Léo Lionel Louis Luc Lucas Marc Marc-Antoine Marcel Mark Markus Martin Mathieu Matthieu Maxime
Michel Mickaël Nicolas Noël Olivier Pascal Patrice Patrick Paul Philippe Pierre Quentin Raphaël
Rémi Rémy Renaud Richard Robert Romain Samuel Sébastien Serge Simon Stéphane Sylvain Théo Thibault
Thierry Thomas Tristan Valentin Victor Vincent Xavier Yann Yannick Yves Zhou Liang Jensen Sam
Satya Donald John Ethan Derek Arjun Wei Hiroshi Hans Lars Luca Marco Andrea Mohamed Ahmed Omar
Rachid Youssef Mehdi Ali
""".split()
FIRST_NAME_GENDER = {**{n: "Masc" for n in _MASC_NAMES}, **{n: "Fem" for n in _FEM_NAMES}}
for _n in ("Dominique", "Camille", "Andrea"):
    FIRST_NAME_GENDER.pop(_n, None)  # used for both genders


def name_gender(full_name: str) -> str | None:
    """Guess the grammatical gender of a person's name from its first name (None if unsure)."""
    first = full_name.split()[0] if full_name.split() else ""
    if first in FIRST_NAME_GENDER:
        return FIRST_NAME_GENDER[first]
    if "-" in first and first.split("-")[0] in FIRST_NAME_GENDER:
        return FIRST_NAME_GENDER[first.split("-")[0]]
    if len(first) > 2 and first[0].isupper():
        # French first names ending in -e/-a are mostly feminine; the masculine exceptions above.
        if first.endswith(("ette", "elle", "ine", "ie", "a")):
            return "Fem"
    return None


def noun_gender(word: str) -> str | None:
    """Gender of a person noun from its ending (chercheuse -> Fem), None if unsure."""
    w = word.lower()
    if w.endswith(FEMININE_ENDINGS) and w not in {"porte-parole", "responsable", "analyste", "juriste", "économiste"}:
        return "Fem"
    if w.endswith(("eur", "ant", "ier", "ien", "é", "teur", "iste")) and not w.endswith("iste"):
        return "Masc"
    return None
