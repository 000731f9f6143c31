"""Korean understanding: a message (and the dialogue so far) -> `Understanding`.

Modules:
- `parser`: `parse(text, state, lexicon)`, the deterministic rules (intent + slots);
- `numbers`, `budget`: Korean numbers and budget expressions;
- `lexicon`, `slots`, `keywords`, `categories`, `intents`: vocabulary, slot extractors,
  product nouns (kiwipiepy), catalog categories, intent rules;
- `refs`: references to earlier results ("두 번째 거") and their one `resolve_reference`;
- `dialogue`: carrying constraints between turns, one clarifying question;
- `aspects`: what a one-product question asks about (origin, storage, ...);
- `model`: the chat model's reading as one JSON object (schema, prompt, constrained decoding, reader);
- `merge`: safety-first merge of the rules' and the model's readings (which side gave each slot);
- `understand`: the turn pipeline the service calls (rules, the model when unsure, merge, dialogue);
- `evaluate` (`python -m assistant.nlu eval`): accuracy over labeled utterances;
- `blind` (`... eval --set blind --mode rules,model,merged`): scores on the frozen blind sets.

Importing this package loads no model and no analyzer (kiwipiepy loads on first parse).
"""

from __future__ import annotations

from assistant.nlu.lexicon import Lexicon
from assistant.nlu.parser import LOW_CONFIDENCE, llm_fallback, parse, parse_with_fallback
from assistant.nlu.refs import SORT_OF, resolve_reference
from assistant.nlu.understand import InputError, understand

__all__ = ["Lexicon", "LOW_CONFIDENCE", "SORT_OF", "InputError", "llm_fallback", "parse",
           "parse_with_fallback", "resolve_reference", "understand"]
