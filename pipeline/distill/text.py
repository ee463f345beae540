"""The student's tokenizer: a ``tokenizers`` WordPiece tokenizer with a vocabulary drawn from our
own articles, and a fast path for inference.

The saved ``tokenizer.json`` is a complete Hugging Face tokenizer (NFC + lower case, a regex
pre-tokenizer, WordPiece). At inference, :class:`FastTokenizer` produces the same ids several times
faster on 2 CPU cores: the same regex splits words in Python, and each distinct word is looked up
once in a cache (news text repeats its words; the WordPiece model only sees new words).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

# Words (letters, digits, underscore) or single non-space symbols: « l'accusation » -> l ' accusation.
WORD_PATTERN = r"\w+|[^\w\s]"
_WORD = re.compile(WORD_PATTERN)
_CACHE_LIMIT = 500_000  # distinct words kept before the cache is cleared (bounded memory)


def words_of(text: str) -> list[str]:
    """The tokenizer's normalisation (NFC, lower case) and pre-tokenisation (regex words)."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


def build_vocab(texts: list[str], vocab_size: int, max_piece: int = 8) -> dict[str, int]:
    """A WordPiece vocabulary chosen by a deterministic frequency rule.

    Every character seen (as a word start and as ``##`` continuation) is kept so nothing becomes
    [UNK]; the rest of the budget goes to the word prefixes (whole words included) and word
    suffixes that save the most tokens (frequency x (length - 1)), ties broken by the string. The
    ``tokenizers`` trainers were not used for this: they break ties in hash-map order, and two
    trainings on the same texts gave different vocabularies (measured), so the student's weights
    would not be reproducible.
    """
    from collections import Counter

    counts = Counter(w for t in texts for w in words_of(t))
    chars = sorted({c for w in counts for c in w})
    specials = ["[PAD]", "[UNK]"]
    base = specials + chars + ["##" + c for c in chars]
    gain: Counter = Counter()
    for w, f in counts.items():
        if f < 2 or len(w) < 2:
            continue
        for k in range(2, min(len(w), max_piece) + 1):
            gain[w[:k]] += f * (k - 1)
        if len(w) <= max_piece:
            gain[w] += 0  # whole words longer than 1 char are prefixes already
        for j in range(max(1, len(w) - max_piece), len(w) - 1):
            gain["##" + w[j:]] += f * (len(w) - j - 1)
    budget = max(0, vocab_size - len(base))
    taken = set(base)
    ranked = sorted((p for p in gain if p not in taken), key=lambda p: (-gain[p], p))[:budget]
    return {tok: i for i, tok in enumerate(base + ranked)}


def train_tokenizer(texts: list[str], vocab_size: int, max_tokens: int, max_piece: int = 8):
    """A lower-cased WordPiece ``tokenizers.Tokenizer`` whose vocabulary comes from our article texts
    (pieces of at most ``max_piece`` characters, :func:`build_vocab`)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers

    tok = Tokenizer(models.WordPiece(vocab=build_vocab(texts, vocab_size, max_piece), unk_token="[UNK]",
                                     max_input_chars_per_word=64))
    # NFC + lower case; accents are kept (they carry meaning in French: « accusé » vs « accuse »).
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    # Keep the regex matches (words, single symbols) and drop the whitespace between them.
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(WORD_PATTERN), behavior="removed", invert=True)
    tok.decoder = decoders.WordPiece()
    tok.enable_truncation(max_tokens)
    return tok


# French negation cues: the (up to) NEGATION_SCOPE words after one are "in its scope" ("rien ne
# prouve que ..."): a bag of sub-words cannot otherwise tell « prouve » from « ne prouve pas ».
NEGATORS = frozenset({"ne", "n", "aucun", "aucune", "rien", "jamais", "sans", "ni", "personne", "nullement"})
NEGATION_SCOPE = 4
_SCOPE_KEEP = frozenset({"'", "’", "-"})  # symbols inside a clause (elision, compound): the scope goes on


def negation_flags(words: Sequence[str]) -> list[bool]:
    """Whether each word (``words_of`` output) is in a negation's scope; punctuation closes a scope."""
    flags, scope = [], 0
    for w in words:
        if w in NEGATORS:
            scope = NEGATION_SCOPE
            flags.append(False)
        elif w in _SCOPE_KEEP:
            flags.append(False)
        elif len(w) == 1 and not w.isalnum():
            scope = 0
            flags.append(False)
        else:
            flags.append(scope > 0)
            scope = max(0, scope - 1)
    return flags


class FastTokenizer:
    """Ids of texts, equal to ``tokenizer.encode(text).ids`` of the wrapped tokenizer, computed faster.

    With ``negation``, the sub-words of words in a negation's scope get the id + vocabulary size
    (their own embedding rows in the student); ``tokenizer.encode`` knows nothing of that, so
    ``fresh(negation=False)`` gives the plain ids.
    """

    def __init__(self, hf_tokenizer, max_tokens: int, negation: bool = False):
        self.hf = hf_tokenizer
        self.max_tokens = max_tokens
        self.negation = negation
        self._model = hf_tokenizer.model
        self._cache: dict[str, tuple[int, ...]] = {}
        self._offset = hf_tokenizer.get_vocab_size() if negation else 0

    def fresh(self, negation: bool | None = None) -> "FastTokenizer":
        """The same tokenizer with an empty word cache (cold-cache measurements)."""
        return FastTokenizer(self.hf, self.max_tokens, self.negation if negation is None else negation)

    def get_vocab_size(self) -> int:
        """Size of the vocabulary."""
        return self.hf.get_vocab_size()

    def get_vocab(self) -> dict[str, int]:
        """Token string -> id."""
        return self.hf.get_vocab()

    def to_str(self) -> str:
        """The Hugging Face tokenizer as JSON (saved as tokenizer.json)."""
        return self.hf.to_str()

    def _word(self, word: str) -> tuple[int, ...]:
        ids = self._cache.get(word)
        if ids is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            ids = self._cache[word] = tuple(t.id for t in self._model.tokenize(word))
        return ids

    def encode_one(self, text: str) -> list[int]:
        """Token ids of one text, truncated to ``max_tokens``."""
        if self.negation:
            return self._encode_marked(text)
        out: list[int] = []
        limit = self.max_tokens
        cache = self._cache
        for word in words_of(text):
            ids = cache.get(word)
            out.extend(ids if ids is not None else self._word(word))
            if len(out) >= limit:
                return out[:limit]
        return out

    def _encode_marked(self, text: str) -> list[int]:
        # negation_flags inlined (this is the hot loop): scope words get their ids shifted by the vocabulary size.
        out: list[int] = []
        limit, offset, cache, scope = self.max_tokens, self._offset, self._cache, 0
        for word in words_of(text):
            ids = cache.get(word)
            if ids is None:
                ids = self._word(word)
            if word in NEGATORS:
                scope = NEGATION_SCOPE
                out.extend(ids)
            elif len(word) == 1 and not word.isalnum():
                if word not in _SCOPE_KEEP:
                    scope = 0
                out.extend(ids)
            elif scope:
                scope -= 1
                out.extend([i + offset for i in ids])
            else:
                out.extend(ids)
            if len(out) >= limit:
                return out[:limit]
        return out

    def encode_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Token ids of each text."""
        return [self.encode_one(t) for t in texts]


# -- sentence units ------------------------------------------------------------------------------
# Candidate boundaries only (a line break, or white space after . ! ? … and an optional closing quote,
# before a capital or an opening quote/dash): the abbreviation check then runs on these few matches.
_BOUNDARY = re.compile(r"[ \t\r\f\v]*\n\s*"
                       r"|(?<=[.!?…])\s+(?=[A-ZÀ-ÖØ-ÞŒŸ«“—–(-])"
                       r"|(?<=[.!?…][»”)\"])\s+(?=[A-ZÀ-ÖØ-ÞŒŸ«“—–(-])"
                       # French typography puts a (non-breaking) space before the closing guillemet.
                       r"|(?<=[.!?…][ \u00a0\u202f][»”])\s+(?=[A-ZÀ-ÖØ-ÞŒŸ«“—–(-])")
_ABBREV = re.compile(r"(?:^|\s)(?:[A-Z]|M|MM|Mme|Mmes|Mlle|Dr|Pr|Me|St|Ste|etc|cf|av|apr|J\.-C)\.$")
_ALPHA = re.compile(r"[^\W\d_]+")


def split_units(text: str, min_words: int = 3) -> list[tuple[int, int]]:
    """Sentence spans (start, end) of ``text`` by the analysis' own rule, without a parser.

    Like the teacher's ``veille_sentences`` component: a sentence ends at a line break, or after
    . ! ? … (and a closing quote) when the next word starts with a capital or an opening quote or
    dash; abbreviations such as « M. » do not end one. Sentences with fewer than ``min_words``
    alphabetic words are dropped, as the teacher drops them.
    """
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if m.start() == 0 or m.end() >= len(text):
            continue
        if "\n" not in m.group() and text[m.start() - 1] == "." and _ABBREV.search(text[max(0, m.start() - 8):m.start()]):
            continue
        if m.start() > start:
            spans.append((start, m.start()))
        start = m.end()
    end = len(text.rstrip())
    if start < end:
        spans.append((start, end))
    return [(a, b) for a, b in spans if len(_ALPHA.findall(text[a:b])) >= min_words] if min_words else spans
