"""`ProfileStore`: the one object callers use for customer data (see the mixins for parts).

    >>> from database import connect
    >>> store = ProfileStore(connect(":memory:"))
    >>> store.add_customer("C001", "김민지", allergies=["땅콩"]).allergies
    ('땅콩',)
    >>> store.ranking_features("C001").exclude_allergens
    frozenset({'땅콩'})
"""

from __future__ import annotations

from profiles.commerce import CommerceMixin
from profiles.conversation import ConversationMixin
from profiles.customers import CustomersMixin
from profiles.learning import LearningMixin
from profiles.privacy import PrivacyMixin


class ProfileStore(CustomersMixin, LearningMixin, CommerceMixin, ConversationMixin,
                   PrivacyMixin):
    """Customer profiles, consent, carts, orders, conversation history and feedback.

    `ProfileStore(db, half_life_days=60, retention_days=30)` migrates `db` on creation.
    Anonymous sessions (`customer_id=None`): reads return empty values, optional logging
    (`propose`, `record_turn`, `add_feedback`, `record_signals`, `cart_clear`) does nothing,
    and writes that need an account raise `AnonymousSession`. One store may be shared by
    threads (calls are serialized); for parallel writers open one connection per thread.
    """
