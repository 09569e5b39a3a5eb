from django.urls import path

from intake import views

app_name = "intake"
urlpatterns = [path("", views.start, name="start")]
