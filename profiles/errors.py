"""Named errors of the profiles package.

Each error carries a Korean `user_message` for the chat/UI and an English `str()` for logs.

    >>> e = CustomerNotFound("C999")
    >>> e.user_message
    '고객 정보를 찾을 수 없어요 (C999).'
    >>> str(e)
    'customer not found: C999'
"""

from __future__ import annotations


class ProfileError(Exception):
    """Base class: `user_message` (Korean) for people, `str()` (English) for logs."""

    def __init__(self, message: str, user_message: str = "고객 정보를 처리하지 못했어요.") -> None:
        super().__init__(message)
        self.user_message = user_message


class ValidationError(ProfileError):
    """A field value that the profile cannot hold (bad age band, negative budget, ...)."""

    def __init__(self, field: str, message: str, user_message: str) -> None:
        super().__init__(f"invalid {field}: {message}", user_message)
        self.field = field


class CustomerNotFound(ProfileError):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"customer not found: {customer_id}",
                         f"고객 정보를 찾을 수 없어요 ({customer_id}).")
        self.customer_id = customer_id


class CustomerExists(ProfileError):
    def __init__(self, customer_id: str) -> None:
        super().__init__(f"customer already exists: {customer_id}",
                         f"이미 등록된 고객이에요 ({customer_id}).")
        self.customer_id = customer_id


class ProposalError(ProfileError):
    """Unknown proposal, or one that was already confirmed or rejected."""

    def __init__(self, proposal_id: int, status: str | None) -> None:
        if status is None:
            msg, user = f"proposal not found: {proposal_id}", "확인할 변경 제안을 찾을 수 없어요."
        else:
            msg, user = (f"proposal {proposal_id} is already {status}",
                         "이미 처리된 변경 제안이에요.")
        super().__init__(msg, user)
        self.proposal_id = proposal_id


class AnonymousSession(ProfileError):
    """A write that needs a customer was attempted in an anonymous (kiosk) session."""

    def __init__(self, operation: str) -> None:
        super().__init__(f"anonymous session: {operation} needs a signed-in customer",
                         "로그인한 고객만 이용할 수 있는 기능이에요. 비회원 정보는 저장하지 않아요.")
        self.operation = operation
