"""How long a listen counts when its source says how long the track is, not how long it played.

Spotify's ``ms_played`` and an ActivityStreams Listen's own ``duration`` are time played; a
ListenBrainz ``duration_ms``, a Pleroma ``length``, a Pano Scrobbler ``durationMs``, a Maloja
``track.length`` or an Audio object's ``duration`` are the track's length, and many listens
carry neither. The consortium's policy decides, per month, with its ``played_time`` setting
(validated, with its defaults, by :class:`chaincode.rules.Policy`):

    played_time:
      rule: track_length | default | refuse
      ceiling_seconds: 0     # track_length: count min(length, ceiling); 0 = no ceiling
      default_seconds: 30    # default: every such listen; track_length: a listen with no length

* ``track_length`` — count the track's length, at most ``ceiling_seconds``; a listen without a
  length counts ``default_seconds``;
* ``default`` — every listen without a played time counts ``default_seconds``;
* ``refuse`` — such a listen is a bad row (file, line and field named).

Missing from the policy, the setting is the one above (``track_length``, no ceiling, 30 s).
Never a silent drop: every listen counted this way is reported as estimated.
"""

from dataclasses import dataclass

from chaincode.rules import PLAYED_TIME_DEFAULTS, Policy


@dataclass(frozen=True)
class PlaytimeRule:
    """A policy's rule for listens without a played time."""

    rule: str = PLAYED_TIME_DEFAULTS["rule"]
    ceiling_seconds: int = PLAYED_TIME_DEFAULTS["ceiling_seconds"]
    default_seconds: int = PLAYED_TIME_DEFAULTS["default_seconds"]

    @classmethod
    def of(cls, policy: Policy) -> "PlaytimeRule":
        """The rule of a policy."""
        return cls(**policy.played_time)

    def seconds(self, length: int | None) -> int | None:
        """The seconds a listen without a played time counts, given its track length (if known);
        None when the rule refuses it."""
        if self.rule == "refuse":
            return None
        if self.rule == "default" or length is None:
            return self.default_seconds
        return min(length, self.ceiling_seconds) if self.ceiling_seconds else length

    def describe(self) -> str:
        """The rule in one phrase, for refusals and reports."""
        if self.rule == "refuse":
            return "the policy refuses listens without a played time (played_time.rule = refuse)"
        if self.rule == "default":
            return f"the policy counts {self.default_seconds} s (played_time.rule = default)"
        cap = f", at most {self.ceiling_seconds} s" if self.ceiling_seconds else ""
        return f"the policy counts the track's length{cap}, or {self.default_seconds} s without one"
