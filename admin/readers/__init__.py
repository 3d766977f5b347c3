"""Readers of the listening data the platforms write, one module per platform.

:mod:`.listenbrainz`, :mod:`.spotify`, :mod:`.activitystreams` (Funkwhale, Pleroma),
:mod:`.maloja`, :mod:`.panoscrobbler` turn one parsed JSON entry into a :class:`.model.Listen`
(or a :class:`.model.Skip`); :mod:`.jsondoc` and :mod:`.archive` find the entries of JSON
lines, JSON documents and export zips; :mod:`.sources` recognises each entry's platform;
:mod:`.resolve` maps artists through the artist catalogue (:mod:`admin.artists`) and settles
seconds with the played-time rule (:mod:`.playtime`). :mod:`admin.formats` dispatches to them.
"""
