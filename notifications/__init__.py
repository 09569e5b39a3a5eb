"""Notifications: reminders of deadlines and actions, the staff workspace's attention list and
e-mail, and the reporter's check-in after closure. Notifications say that something needs
attention, never what: no case content, category, reporter or subject.
"""
