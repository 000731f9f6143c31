"""`AssistantTeacher`: the real assistant pipeline as the teacher.

Runs `assistant.service.Assistant` turn by turn (NLU, dialogue state, retrieval, filters,
actions, template replies) with a `RecordingGenerator` in the model's seat: it is handed the
exact messages the app builds with `assistant.prompting.build_messages` and answers with the
template draft embedded in them (what `TemplateGenerator` returns), which the validator then
accepts. A turn the app would never send to a model (cart actions, refusals, clarifying
questions) yields no prompt, so such specs give no example.

Leaves out: question drawing (`templates`) and gates (`data`, `gates`). Building the real
services loads the embedding model and the retrieval index: run it where that is affordable.
"""

from __future__ import annotations

import tempfile
import threading
from pathlib import Path
from typing import Iterator

from finetune.teacher import TeacherTurn
from finetune.templates import QuestionSpec


class RecordingGenerator:
    """The model's seat: remembers the prompt, answers with the app's template draft."""

    name = "recording-template"
    is_template = False   # so the Assistant takes its LLM path and builds the prompt
    loaded = True

    def __init__(self) -> None:
        self.last: list[dict] | None = None

    def stream(self, messages: list[dict], max_new_tokens: int = 160,
               stop: threading.Event | None = None) -> Iterator[str]:
        from assistant.prompting import draft_from_messages

        self.last = [dict(m) for m in messages]
        yield draft_from_messages(messages)

    def generate_json(self, messages: list[dict], schema: dict, max_new_tokens: int = 160) -> dict:
        """The understanding call is not the reply prompt being recorded: no opinion (the rules
        stand), and `last` stays as it was."""
        raise LookupError("the recording generator writes replies only")


def build_assistant(data_dir: Path | None = None):
    """The app's own services with the recording generator and a throwaway database."""
    from assistant.factory import build_services
    from assistant.settings import Settings

    tmp = Path(tempfile.mkdtemp(prefix="jangbogi-teacher-"))
    settings = Settings.from_env(db_path=tmp / "teacher.db", **({"data_dir": data_dir} if data_dir else {}))
    gen = RecordingGenerator()
    return build_services(settings, generator=gen).assistant, gen


class AssistantTeacher:
    name = "assistant-template"

    def __init__(self, products: list, policies: list, assistant=None, generator: RecordingGenerator | None = None,
                 data_dir: Path | None = None) -> None:
        if assistant is None:
            assistant, generator = build_assistant(data_dir)
        self.assistant, self.generator = assistant, generator
        self.product_ids = {p.id for p in products}

    def run(self, spec: QuestionSpec) -> list[TeacherTurn]:
        from assistant.types import DialogueState

        state = DialogueState(session_id="teacher")
        turns: list[TeacherTurn] = []
        for message in spec.turns:
            self.generator.last = None
            history = list(state.history)
            answer = self.assistant.answer(message, state, None)
            if self.generator.last is None:       # the app answered without a model
                turns.append(TeacherTurn((), answer["reply"], answer["intent"], ()))
                continue
            ids = tuple(dict.fromkeys([p["id"] for p in answer.get("products", [])]
                                      + [s["id"] for s in answer.get("sources", [])]))
            from assistant.prompting import draft_from_messages

            # The target is what the template generator streamed in the model's seat (the
            # validator may re-join its lines with spaces in the final reply).
            reply = draft_from_messages(self.generator.last)
            required = ()
            if answer["intent"] == "policy":
                from finetune.metrics import extract_numbers

                required = tuple(f"{v:g}" for v in sorted(extract_numbers(reply)))
            turns.append(TeacherTurn(tuple(self.generator.last), reply, answer["intent"], ids,
                                     required, history=tuple(history)))
        if not turns or not turns[-1].messages:
            raise LookupError("the app would not send this turn to a model")
        return turns
