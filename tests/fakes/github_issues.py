"""The fake GitHub's issue routes (a PR is an issue): the issue, its comments (paginated), labels.

Shapes and errors as api.github.com answers them: comments come 30 a page (`per_page` up to 100) with a `Link`
header naming the next and last pages; a body over 65,536 characters or missing is 422 "Validation Failed";
an unknown comment or label is 404. What the token may write is checked first (github_permissions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.fakes.github_permissions import LABELS_NOT_CREATABLE
from tests.fakes.github_routes import Answer, _on
from tests.fakes.github_server import ApiError, Repo, _now

if TYPE_CHECKING:
    from tests.fakes.github_server import FakeGitHub

MAX_COMMENT_CHARS = 65_536
# The user a workflow's GITHUB_TOKEN writes as.
ACTIONS_BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}


def _issue(repo: Repo, number: str) -> dict:
    pr = repo.pulls.get(int(number))
    if pr is None:
        raise ApiError(404, "Not Found")
    return pr


def _comment_body(body: Any) -> str:
    text = body.get("body") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text:
        raise ApiError(
            422, "Validation Failed", [{"resource": "IssueComment", "code": "missing_field", "field": "body"}]
        )
    if len(text) > MAX_COMMENT_CHARS:
        raise ApiError(
            422,
            "Validation Failed",
            [
                {
                    "resource": "IssueComment",
                    "code": "custom",
                    "field": "body",
                    "message": f"body is too long (maximum is {MAX_COMMENT_CHARS} characters)",
                }
            ],
        )
    return text


def _find_comment(repo: Repo, comment_id: str) -> dict:
    for comments in repo.comments.values():
        for comment in comments:
            if comment["id"] == int(comment_id):
                return comment
    raise ApiError(404, "Not Found")


def add_comment(fake: FakeGitHub, repo: Repo, number: int, text: str, user: dict | None = None) -> dict:
    """Store a comment on PR `number` as `user` (default: the Actions bot), shaped as GitHub returns it."""
    comment_id = fake.next_id()
    now = _now()
    author = {
        **(user or ACTIONS_BOT),
        "url": f"{fake.base_url}/users/{(user or ACTIONS_BOT)['login']}",
        "html_url": f"{fake.base_url}/{(user or ACTIONS_BOT)['login']}",
    }
    comment = {
        "id": comment_id,
        "node_id": "IC_fake",
        "url": fake.api(repo, f"/issues/comments/{comment_id}"),
        "html_url": f"{fake.base_url}/{repo.full_name}/pull/{number}#issuecomment-{comment_id}",
        "issue_url": fake.api(repo, f"/issues/{number}"),
        "body": text,
        "user": author,
        "created_at": now,
        "updated_at": now,
        "author_association": "NONE" if author["type"] == "Bot" else "MEMBER",
    }
    repo.comments.setdefault(number, []).append(comment)
    return comment


@_on("GET", r"/issues/(\d+)")
def get_issue(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str) -> Answer:
    pull = fake.pull_json(repo, _issue(repo, number))
    keys = ("url", "id", "node_id", "html_url", "number", "state", "locked", "title", "user", "body", "labels")
    issue = {key: pull[key] for key in keys}
    issue.update(
        comments=pull["comments"],
        comments_url=fake.api(repo, f"/issues/{number}/comments"),
        url=fake.api(repo, f"/issues/{number}"),
        created_at=pull["created_at"],
        updated_at=pull["updated_at"],
        closed_at=pull["closed_at"],
        pull_request={"url": pull["url"], "html_url": pull["html_url"], "merged_at": pull["merged_at"]},
    )
    return 200, issue, {}


@_on("GET", r"/issues/(\d+)/comments")
def list_comments(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str) -> Answer:
    _issue(repo, number)
    comments = repo.comments.get(int(number), [])
    per_page = max(1, min(int(query.get("per_page") or 30), 100))
    page = max(1, int(query.get("page") or 1))
    last = max(1, -(-len(comments) // per_page))
    headers = {}
    if last > 1:
        link = fake.api(repo, f"/issues/{number}/comments") + f"?per_page={per_page}&page="
        links = []
        if page < last:
            links += [f'<{link}{page + 1}>; rel="next"', f'<{link}{last}>; rel="last"']
        if page > 1:
            links += [f'<{link}1>; rel="first"', f'<{link}{page - 1}>; rel="prev"']
        headers["Link"] = ", ".join(links)
    return 200, comments[(page - 1) * per_page : page * per_page], headers


@_on("POST", r"/issues/(\d+)/comments")
def create_comment(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str) -> Answer:
    _issue(repo, number)
    return 201, add_comment(fake, repo, int(number), _comment_body(body)), {}


@_on("GET", r"/issues/comments/(\d+)")
def get_comment(fake: FakeGitHub, repo: Repo, query: dict, body: dict, comment_id: str) -> Answer:
    return 200, _find_comment(repo, comment_id), {}


@_on("PATCH", r"/issues/comments/(\d+)")
def update_comment(fake: FakeGitHub, repo: Repo, query: dict, body: dict, comment_id: str) -> Answer:
    comment = _find_comment(repo, comment_id)
    if comment["user"]["type"] != "Bot":  # the token may edit its own comments only (no admin rights here)
        raise ApiError(403, "Resource not accessible by integration")
    comment.update(body=_comment_body(body), updated_at=_now())
    return 200, comment, {}


# ---- labels on a PR (the repository's own labels are in github_routes) -----------------------------------------
@_on("POST", r"/issues/(\d+)/labels")
def add_labels(fake: FakeGitHub, repo: Repo, query: dict, body: Any, number: str) -> Answer:
    _issue(repo, number)
    names = body.get("labels", []) if isinstance(body, dict) else list(body)
    if any(n not in repo.defined_labels for n in names) and not fake.policy.may_create_labels():
        raise ApiError(403, LABELS_NOT_CREATABLE)
    repo.defined_labels.update(names)
    current = repo.labels.setdefault(int(number), [])
    current.extend(n for n in names if n not in current)
    return 200, [fake.label_json(repo, n) for n in current], {}


@_on("GET", r"/issues/(\d+)/labels")
def get_labels(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str) -> Answer:
    _issue(repo, number)
    return 200, [fake.label_json(repo, n) for n in repo.labels.get(int(number), [])], {}


@_on("DELETE", r"/issues/(\d+)/labels/([^/]+)")
def remove_label(fake: FakeGitHub, repo: Repo, query: dict, body: dict, number: str, name: str) -> Answer:
    current = repo.labels.get(int(_issue(repo, number)["number"]), [])
    if name not in current:
        raise ApiError(404, "Label does not exist")
    current.remove(name)
    return 200, [fake.label_json(repo, n) for n in current], {}
