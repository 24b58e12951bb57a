"""Index building: models, staleness, incremental adds, bad sources, the CLI."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import qa
from qa.cli import main as cli

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def make_tiny_model(folder: Path, seed: int = 0) -> Path:
    """A real (if tiny) sentence-transformers model: word-level static embeddings, 32 dims."""
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    try:  # sentence-transformers >= 6
        from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    except ImportError:
        from sentence_transformers.models import StaticEmbedding

    words = sorted({w.lower() for p in SEEDS.glob("*.txt") for w in p.read_text().split()})
    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(words)}}
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    weights = np.random.default_rng(seed).normal(size=(len(vocab), 32)).astype(np.float32)
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)])
    model.save(str(folder))
    return folder


def test_build_records_model_and_counts(seed_index):
    info = qa.index_info(seed_index)
    assert info.articles == 2 and info.passages > 2
    assert info.model == qa.DEFAULT_MODEL and info.dimension == 256
    assert info.faiss_index == "flat"
    manifest = json.loads((info.path / "manifest.json").read_text())
    assert manifest["model_fingerprint"]


def test_custom_model_by_path(tmp_path):
    model_dir = make_tiny_model(tmp_path / "tiny-model")
    info = qa.build_index(SEEDS, tmp_path / "index", model=str(model_dir))
    assert info.model == str(model_dir) and info.dimension == 32
    engine = qa.load_engine(tmp_path / "index")
    # A random 32-dim model retrieves poorly, but BM25 still finds the passage.
    assert "Hayashi" in engine.search("Japanese Chief Cabinet Secretary Hayashi", 1)[0].text
    answer = engine.ask("Who is the Japanese Chief Cabinet Secretary?")
    assert not answer.found or "Hayashi" in answer.text

    # Asking for another model than the one that built the index is an error...
    with pytest.raises(qa.IndexStaleError, match="built with model"):
        qa.load_engine(tmp_path / "index", model=qa.DEFAULT_MODEL)
    # ...and so is the same path now holding different weights.
    shutil.rmtree(model_dir)
    make_tiny_model(model_dir, seed=1)
    with pytest.raises(qa.IndexStaleError, match="fingerprint"):
        qa.load_engine(tmp_path / "index")


def test_missing_index_is_a_clear_error(tmp_path):
    with pytest.raises(qa.IndexMissingError, match="qa-index build"):
        qa.load_engine(tmp_path / "nothing-here")
    (tmp_path / "empty").mkdir()
    with pytest.raises(qa.IndexMissingError, match="qa-index build"):
        qa.load_engine(tmp_path / "empty")


def test_add_articles_embeds_only_the_new_ones(tmp_path):
    index = tmp_path / "index"
    qa.build_index(SEEDS / "000_61fa93c29d891d97.txt", index)
    before = qa.load_engine(index)
    old_vectors = before.data.dense.base.reconstruct_n(0, before.data.dense.ntotal)

    extra = tmp_path / "extra.jsonl"
    extra.write_text(
        json.dumps({"id": "bridge", "title": "New bridge opens", "text": "The Tumen River bridge opened on Friday. It cost 10 million dollars."})
        + "\n"
        + json.dumps({"id": "000_61fa93c29d891d97", "title": "Same id", "text": "A second article with a taken id."})
        + "\n"
    )
    info = qa.add_articles(extra, index)
    assert info.added == 2 and info.articles == 3
    after = qa.load_engine(index)
    # The old vectors are untouched; only the new articles' passages were embedded.
    assert np.array_equal(after.data.dense.base.reconstruct_n(0, len(old_vectors)), old_vectors)
    assert after.data.dense.ntotal == len(old_vectors) + len(after.data.dense.delta) and len(after.data.dense.delta) >= 2
    assert after.article("000_61fa93c29d891d97~2").title == "Same id"
    answer = after.ask("How much did the Tumen River bridge cost?")
    assert answer.found and "10 million dollars" in answer.text
    # the old content still answers
    assert "Lim Soo-suk" in after.ask("Who is the Foreign Ministry spokesperson?").text
    # a term only the added passages hold counts the passages that hold it (it counted 2, always)
    assert after.data.lexical.document_frequency("dollar") == 1


def test_no_usable_article_keeps_the_old_index(tmp_path):
    index = tmp_path / "index"
    qa.build_index(SEEDS, index)
    version = qa.index_info(index).path
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_text("")
    (bad / "binary.txt").write_bytes(b"\x00\x00")
    with pytest.raises(qa.NoArticlesError, match="empty.txt: empty file"):
        qa.build_index(bad, index)
    assert qa.index_info(index).path == version
    assert qa.load_engine(index).ask("Who is the Foreign Ministry spokesperson?").found


def test_cli_build_info_ask_add(tmp_path, capsys):
    index = tmp_path / "index"
    assert cli(["build", str(SEEDS), "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "articles" in out and "passages" in out and "seconds" in out

    assert cli(["info", "--index", str(index)]) == 0
    assert qa.DEFAULT_MODEL in capsys.readouterr().out

    assert cli(["ask", "Who is the Foreign Ministry spokesperson?", "--index", str(index)]) == 0
    out = capsys.readouterr().out
    assert "Lim Soo-suk" in out and "[1]" in out

    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "story.txt").write_text("Officials said the summit ended on Friday in Moscow.")
    assert cli(["add", str(tmp_path / "new"), "--index", str(index)]) == 0
    assert qa.index_info(index).articles == 3

    assert cli(["build", str(tmp_path / "missing"), "--index", str(index)]) == 1
    assert "no such file or folder" in capsys.readouterr().err
    assert cli(["info", "--index", str(tmp_path / "none")]) == 1
    assert "qa-index build" in capsys.readouterr().err


def test_concurrent_adds_both_land(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    index = tmp_path / "index"
    qa.build_index(SEEDS, index)
    batches = []
    for name in ("one", "two"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.txt").write_text(f"Story {name} happened in the harbour on Friday.")
        batches.append(folder)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda folder: qa.add_articles(folder, index), batches))
    ids = {a.id for a in qa.load_engine(index).articles()}
    assert {"one", "two"} <= ids and len(ids) == 4


@pytest.mark.parametrize("kind", ["ivf", "ivfpq", "hnsw"])
def test_approximate_index_types_on_a_small_corpus(tmp_path, kind):
    info = qa.build_index(SEEDS, tmp_path / kind, config=qa.Config(faiss_index=kind))
    assert info.faiss_index.lower().startswith(kind[:3])
    assert "PQ" not in info.faiss_index  # too few vectors to train product quantisation
    assert "Lim Soo-suk" in qa.load_engine(tmp_path / kind).ask("Who is the Foreign Ministry spokesperson?").text


def test_flat_vectors_are_float16_and_mapped_from_the_file(seed_index):
    import faiss

    engine = qa.load_engine(seed_index)
    base = engine.data.dense.base
    assert isinstance(base, faiss.IndexScalarQuantizer) and base.sq.qtype == faiss.ScalarQuantizer.QT_fp16
    # Mapped in place, not copied: the file shows in the process's memory maps.
    dense_files = {str(p.resolve()) for p in seed_index.glob("v-*/dense.faiss")}
    maps = Path("/proc/self/maps").read_text()
    assert any(f in maps for f in dense_files)
    hit = engine.search("Who is the Foreign Ministry spokesperson?", 1)[0]
    assert "spokesperson" in hit.text


def test_an_earlier_float32_flat_index_still_loads(tmp_path):
    import faiss

    qa.build_index(SEEDS, tmp_path / "index")
    version = next((tmp_path / "index").glob("v-*"))
    new = qa.load_engine(tmp_path / "index")
    vectors = new.data.dense.base.reconstruct_n(0, new.data.dense.ntotal)
    question = "Who is the Foreign Ministry spokesperson?"
    expected = [p.text for p in new.search(question, 3)]
    del new
    flat = faiss.IndexFlatIP(vectors.shape[1])  # what builds wrote before float16
    flat.add(vectors)
    faiss.write_index(flat, str(version / "dense.faiss"))
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["files"]["dense.faiss"] = (version / "dense.faiss").stat().st_size
    (version / "manifest.json").write_text(json.dumps(manifest))
    old = qa.load_engine(tmp_path / "index")
    assert isinstance(old.data.dense.base, faiss.IndexFlatIP)
    assert [p.text for p in old.search(question, 3)] == expected
