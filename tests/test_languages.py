"""The encoder's languages, and the notice when Chinese text meets an English-only encoder."""

from __future__ import annotations

from coldrec.encoders import HashEncoder, encoder_languages, is_english_only, language_notice, script_of


class _Named(HashEncoder):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


def test_languages_of_the_shipped_encoders():
    assert encoder_languages(_Named("all-MiniLM-L6-v2@1a2b")) == "English only"
    assert "Chinese" in encoder_languages(_Named("multilingual-e5-small-q4@9f+onnx-int8"))
    assert is_english_only(_Named("all-MiniLM-L6-v2@1a2b")) and not is_english_only(HashEncoder())


def test_script_of_mixed_text_follows_the_letters():
    assert script_of(["我想买一副降噪耳机 for the train"]) == "cjk"
    assert script_of(["noise-cancelling headphones 耳机"]) == "latin"
    assert script_of(["Ακουστικά για το τρένο"]) == "other"


def test_notice_only_for_non_latin_text_on_an_english_only_encoder():
    minilm, e5 = _Named("all-MiniLM-L6-v2@1a2b"), _Named("multilingual-e5-small-q4@9f")
    note = language_notice(["深夜学习时喜欢听安静的爵士乐"], minilm, where="This description")
    assert note.startswith("This description is in Chinese, Japanese or Korean") and "--model multilingual" in note
    assert language_notice(["深夜学习时喜欢听安静的爵士乐"], e5) is None
    assert language_notice(["quiet jazz for late-night study"], minilm) is None


def test_cli_recommend_suggests_the_multilingual_encoder(monkeypatch, capsys, tmp_path):
    from coldrec.cli import _common, main

    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path))
    monkeypatch.setattr(_common, "encoder", lambda args: _Named("all-MiniLM-L6-v2@1a2b"))
    assert main(["recommend", "--domain", "music", "--describe", "深夜学习时喜欢听安静的爵士乐", "--ranker", "none",
                 "--no-cache"]) == 0
    assert "English-only" in capsys.readouterr().err


def test_new_user_page_warns_and_offers_the_multilingual_encoder(monkeypatch, tmp_path):
    """Chinese text on an English-only encoder: one warning and a switch button (the hash encoder stands in)."""
    import coldrec.encoders._languages as languages
    from tests.test_app import goto, start, submit

    monkeypatch.setenv("COLDREC_ENCODER", "hash")
    monkeypatch.setenv("COLDREC_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(languages, "is_english_only", lambda enc: True)
    at = goto(start(), "app_pages/2_New_user.py")
    at.text_area(key="nu_desc").input("深夜学习时喜欢听安静的爵士乐")
    submit(at, "Recommend")
    warnings = [w.value.replace("\\", "") for w in at.warning if "English" in w.value]
    assert len(warnings) == 1 and "Chinese" in warnings[0]
    assert any(b.label == "Use the multilingual encoder for this session" for b in at.button)
    at.text_area(key="nu_desc").input("quiet jazz for late-night study")
    submit(at, "Recommend")
    assert not [w for w in at.warning if "English" in w.value]
