"""Review on the pull request itself: the sticky review comment, its posting, and the learner impact of a deploy."""
