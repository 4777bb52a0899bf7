import './base.css';
import './sidebar.css';
import './runlist.css';
import './manage.css';
import './sweep.css';
