"""Jira: lessons and actions kept in step with issues in the team's tracker."""
