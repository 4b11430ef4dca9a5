"""Human evaluation: blind pairwise comparisons and Turing tests of stories, stored in SQLite.

``store`` (the database), ``study`` (creating studies, handing items to raters), ``stats``
(rates with intervals, agreement), ``export`` (every judgement as CSV).
"""
