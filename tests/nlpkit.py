"""Shared helpers for the analysis tests: one spaCy pipeline per process, the bundled models trained
once per session from the real corpus annotations, and tiny real Hugging Face models (random weights,
real config and tokenizer) built and saved locally."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from pipeline.config import load_topic

ROOT = Path(__file__).resolve().parents[1]
ANNOTATIONS = ROOT / "corpus" / "annotations"
GOLD = ROOT / "corpus" / "gold" / "articles.jsonl"

_SENTENCES = [
    "OpenAI accuse DeepSeek d'avoir distillé ses modèles sans autorisation.",
    "Rien ne prouve que la start-up chinoise a copié quoi que ce soit.",
    "Les preuves présentées par Microsoft semblent solides selon plusieurs experts.",
    "La distillation est une pratique courante dans tout le secteur.",
    "Nvidia a perdu près de 600 milliards de dollars en une séance.",
    "Le modèle R1 impressionne par ses performances et son faible coût.",
    "Cette accusation relève surtout du protectionnisme commercial.",
    "Les journaux de connexion montrent des volumes d'extraction anormaux.",
]


@lru_cache(maxsize=None)
def topic():
    """The packaged topic."""
    return load_topic("openai_deepseek")


@lru_cache(maxsize=None)
def nlp_rules():
    """The pipeline without the sentiment/stance component (entities and claims)."""
    from pipeline.nlp import build_nlp

    return build_nlp("fr_core_news_md", topic(), with_models=False)


def bundled_dir(base: Path) -> Path:
    """Bundled models trained from corpus/annotations, shared by the session (and the nightly tests)."""
    from pipeline.nlp.training import ensure_bundled

    out = Path(base) / "nlp-bundled"
    ensure_bundled(out, ANNOTATIONS, "fr_core_news_md")
    return out


_NLP_CACHE: dict[str, object] = {}


def nlp_bundled(base: Path):
    """The full pipeline with the session's bundled models."""
    from pipeline.nlp import build_nlp

    folder = str(bundled_dir(base))
    if folder not in _NLP_CACHE:
        _NLP_CACHE[folder] = build_nlp("fr_core_news_md", topic(), {"backend": "bundled", "bundled_dir": folder})
    return _NLP_CACHE[folder]


def small_annotations(folder: Path, n_train: int = 240) -> Path:
    """A small copy of the annotation splits (first rows of each), for fast training tests."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in (("train", n_train), ("dev", 60), ("test", 60)):
        lines = (ANNOTATIONS / f"{split}.jsonl").read_text("utf-8").splitlines()[:n]
        (folder / f"{split}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def _tokenizer(folder: Path):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=300, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])
    tok.train_from_iterator(_SENTENCES * 4, trainer)
    from tokenizers.processors import TemplateProcessing

    tok.post_processor = TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                   sep_token="[SEP]", mask_token="[MASK]")
    fast.save_pretrained(str(folder))
    return fast


def tiny_model(folder: Path, labels: list[str], seed: int = 0) -> Path:
    """A tiny BERT sequence classifier with random weights, saved with save_pretrained."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    folder.mkdir(parents=True, exist_ok=True)
    tok = _tokenizer(folder)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=len(labels),
                        id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)})
    BertForSequenceClassification(config).save_pretrained(str(folder))
    return folder


def gold_subset(path: Path, n: int) -> Path:
    """The first n on-topic gold articles, as a gold file."""
    rows = [json.loads(x) for x in GOLD.read_text("utf-8").splitlines() if x.strip()]
    keep = [r for r in rows if r.get("on_topic")][:n]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in keep), "utf-8")
    return path
