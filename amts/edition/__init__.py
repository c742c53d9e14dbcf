"""An edition: a translated book kept in its own repository and synced to its source's git history.

What is about a repository rather than a merge lives here -- reading the source's git history
(:mod:`amts.edition.git`), the recorded state (:mod:`amts.edition.state`), the update that runs sync
over a commit range (:mod:`amts.edition.update`), the report files (:mod:`amts.edition.reports`) and the
pull request on GitHub (:mod:`amts.edition.github`). The sync core (:mod:`amts.sync`) takes texts and
returns texts and a report; it runs no git and calls no service.
"""
